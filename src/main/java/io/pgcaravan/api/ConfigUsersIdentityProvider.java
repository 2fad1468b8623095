package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.pg.Secrets;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.UsernamePasswordAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * HTTP basic authentication against the users of {@code caravan.api.users.*}. Passwords are read
 * from configuration or a file at each login (so a rotated secret file takes effect at once) and
 * compared in constant time.
 */
@ApplicationScoped
public class ConfigUsersIdentityProvider implements IdentityProvider<UsernamePasswordAuthenticationRequest> {

    private static final Logger LOG = Logger.getLogger(ConfigUsersIdentityProvider.class);

    @Inject
    CaravanConfig config;

    @Override
    public Class<UsernamePasswordAuthenticationRequest> getRequestType() {
        return UsernamePasswordAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(UsernamePasswordAuthenticationRequest request, AuthenticationRequestContext context) {
        return context.runBlocking(() -> {
            CaravanConfig.ApiUser user = config.api().users().get(request.getUsername());
            if (user == null || !matches(user, request.getPassword().getPassword())) {
                throw new AuthenticationFailedException();
            }
            return QuarkusSecurityIdentity.builder()
                    .setPrincipal(new QuarkusPrincipal(request.getUsername()))
                    .addRoles(user.roles())
                    .build();
        });
    }

    /** The user's roles if the password is theirs (for the status page's sign-in), else empty. */
    public java.util.Optional<java.util.Set<String>> check(String name, String password) {
        CaravanConfig.ApiUser user = config.api().users().get(name);
        return user != null && matches(user, password.toCharArray()) ? java.util.Optional.of(user.roles()) : java.util.Optional.empty();
    }

    /**
     * Whether the secret given is the user's (or token's) configured one, read at each call (so a
     * rotated secret file takes effect at once) and compared in constant time.
     */
    static boolean matches(CaravanConfig.ApiUser user, char[] given) {
        String expected;
        try {
            expected = user.password().orElseGet(() -> Secrets.readFile(user.passwordFile().orElseThrow()));
        } catch (RuntimeException e) {
            LOG.warnf("an API secret cannot be read: %s", e.getMessage());
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                new String(given).getBytes(StandardCharsets.UTF_8));
    }
}
