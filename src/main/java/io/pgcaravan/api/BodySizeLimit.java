package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Requests to the API are small JSON documents: a larger body is refused with a 400 that says
 * so (the HTTP layer only stops bodies far larger, with a bare 413).
 */
public class BodySizeLimit {

    /** Looked up per request: the filter is created before the configuration mapping is there. */
    @Inject
    Instance<CaravanConfig> config;

    @ServerRequestFilter
    public Optional<Response> limit(ContainerRequestContext request) {
        long max = config.get().api().maxBodyBytes();
        if (request.getLength() > max) {
            return Optional.of(ApiExceptionMappers.error(Response.Status.BAD_REQUEST,
                    "request body too large: " + request.getLength() + " bytes, at most " + max));
        }
        return Optional.empty();
    }
}
