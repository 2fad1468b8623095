package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Requests to the API are small JSON documents: a larger body is refused with a JSON 413 that
 * says so, by its Content-Length before anything is read.
 */
public class BodySizeLimit {

    /** Looked up per request: the filter is created before the configuration mapping is there. */
    @Inject
    Instance<CaravanConfig> config;

    @ServerRequestFilter
    public Optional<Response> limit(ContainerRequestContext request) {
        long max = config.get().api().maxBodyBytes();
        if (request.getLength() > max) {
            return Optional.of(ApiExceptionMappers.error(Response.Status.REQUEST_ENTITY_TOO_LARGE,
                    "request body too large: " + request.getLength() + " bytes, at most " + max));
        }
        return Optional.empty();
    }
}
