package io.pgcaravan.api;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;

/**
 * The status page's sign-in: checks a user's password and answers with the roles, or a plain 401
 * without a basic-auth challenge (which would make a browser pop up its own password dialog).
 * It reveals nothing and changes nothing; every other call still needs the credentials.
 */
@Path("/api/session")
public class SessionResource {

    public record SignIn(String user, String password) {
    }

    @Inject
    ConfigUsersIdentityProvider users;

    @POST
    @PermitAll
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response signIn(SignIn request) {
        if (request == null || request.user() == null || request.password() == null) {
            throw new IllegalArgumentException("user and password are required");
        }
        return users.check(request.user(), request.password())
                .map(roles -> Response.ok(Map.of("user", request.user(), "roles", roles)).build())
                .orElseGet(() -> ApiExceptionMappers.error(Response.Status.UNAUTHORIZED, "unknown user or wrong password"));
    }
}
