package io.pgcaravan.api;

import io.pgcaravan.run.RunCommands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.NoSuchElementException;
import java.util.stream.Collectors;

/** Every error as JSON with a message that says what to fix; never a stack trace. */
public class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    static Response error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(status.getStatusCode(), status.getReasonPhrase(), message)).build();
    }

    /**
     * No credentials, or wrong ones: a JSON 401 with both challenges the API accepts
     * (authentication is lazy, quarkus.http.auth.proactive=false, so that it is answered here).
     */
    @ServerExceptionMapper({io.quarkus.security.UnauthorizedException.class, io.quarkus.security.AuthenticationFailedException.class})
    public Response unauthorized(RuntimeException e) {
        return Response.fromResponse(error(Response.Status.UNAUTHORIZED,
                        "authentication required: HTTP basic (the API's users) or a bearer token (caravan.api.tokens)"))
                .header("WWW-Authenticate", "Basic realm=\"pg-caravan\"").header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper
    public Response forbidden(io.quarkus.security.ForbiddenException e) {
        return error(Response.Status.FORBIDDEN, "this needs the operator role; the user or token has only the viewer's");
    }

    @ServerExceptionMapper
    public Response notFound(NoSuchElementException e) {
        return error(Response.Status.NOT_FOUND, e.getMessage());
    }

    @ServerExceptionMapper
    public Response busy(RunCommands.JobBusyException e) {
        return error(Response.Status.CONFLICT, e.getMessage());
    }

    /** A server this process needs to answer cannot be reached (the source, to list its databases). */
    @ServerExceptionMapper
    public Response unreachable(RunCommands.DatabasesUnlistedException e) {
        return error(Response.Status.BAD_GATEWAY, e.getMessage());
    }

    /** An operation the run's state does not allow (cancel an ended run, resume a running one). */
    @ServerExceptionMapper
    public Response conflict(IllegalStateException e) {
        return error(Response.Status.CONFLICT, e.getMessage());
    }

    @ServerExceptionMapper
    public Response badRequest(IllegalArgumentException e) {
        return error(Response.Status.BAD_REQUEST, e.getMessage());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String message;
        if (e instanceof UnrecognizedPropertyException u) {
            message = "unknown field '" + u.getPropertyName() + "'; known fields: "
                    + u.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
        } else if (e instanceof InvalidFormatException f) {
            message = "field '" + path(f) + "' has the wrong type or value: " + f.getValue();
        } else if (e instanceof MismatchedInputException m) {
            message = "field '" + path(m) + "' has the wrong type";
        } else if (e instanceof com.fasterxml.jackson.databind.JsonMappingException j && !j.getPath().isEmpty()) {
            message = "field '" + j.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")) + "' has a wrong value: " + j.getOriginalMessage();
        } else if (e instanceof com.fasterxml.jackson.core.exc.InputCoercionException c && field(c) != null) {
            message = "field '" + field(c) + "' is out of range: " + c.getOriginalMessage();
        } else {
            message = "malformed JSON: " + e.getOriginalMessage();
        }
        return error(Response.Status.BAD_REQUEST, message);
    }

    /** Jackson's own mapper would answer these first: they are more specific than JsonProcessingException. */
    @ServerExceptionMapper
    public Response badField(MismatchedInputException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        Response.Status status = Response.Status.fromStatusCode(e.getResponse().getStatus());
        if (status == null) {
            return e.getResponse();
        }
        if (e.getCause() instanceof JsonProcessingException j) {
            return badJson(j);
        }
        return error(status, e.getMessage());
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Exception e) {
        LOG.error("unexpected error in the API", e);
        return error(Response.Status.INTERNAL_SERVER_ERROR, "internal error: " + e.getClass().getSimpleName()
                + "; the application log has the details");
    }

    /** The field a number out of range was given for, if the parser knows it. */
    private static String field(com.fasterxml.jackson.core.exc.InputCoercionException e) {
        try {
            return e.getProcessor() == null ? null : e.getProcessor().currentName();
        } catch (java.io.IOException io) {
            return null;
        }
    }

    /** A client's text for a message: control characters shown escaped, at most 100 characters. */
    static String printable(String value) {
        StringBuilder sb = new StringBuilder();
        value.codePoints().limit(100).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb + (value.length() > 100 ? "..." : "");
    }

    private static String path(MismatchedInputException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
