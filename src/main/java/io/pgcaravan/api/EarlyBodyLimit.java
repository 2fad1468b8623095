package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A request to the API that announces a body over caravan.api.max-body-bytes is answered at
 * once, before any of it is read, with the same JSON 413 the API gives for a body that turns out
 * too large while it is read (BodySizeLimit), rather than the HTTP layer's bare 413 for bodies
 * over its own, far larger limit.
 */
@ApplicationScoped
public class EarlyBodyLimit {

    void register(@Observes Filters filters, CaravanConfig config) {
        long max = config.api().maxBodyBytes();
        filters.register(rc -> {
            String length = rc.request().getHeader("Content-Length");
            long announced = -1;
            if (length != null) {
                try {
                    announced = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    announced = Long.MAX_VALUE;
                }
            }
            if (announced > max && rc.normalizedPath().startsWith("/api/")) {
                rc.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end("{\"status\":413,\"error\":\"Request Entity Too Large\",\"message\":\"request body too large: "
                                + (announced == Long.MAX_VALUE ? "an unreadable Content-Length" : announced + " bytes") + ", at most " + max + "\"}");
                return;
            }
            rc.next();
        }, 1000);
    }
}
