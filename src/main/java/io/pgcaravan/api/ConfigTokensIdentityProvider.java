package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.pg.Secrets;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/** The bearer tokens of {@code caravan.api.tokens.*}, compared in constant time; the token's name is the principal. */
@ApplicationScoped
public class ConfigTokensIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    @Inject
    CaravanConfig config;

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        return context.runBlocking(() -> {
            byte[] given = request.getToken().getToken().getBytes(StandardCharsets.UTF_8);
            for (Map.Entry<String, CaravanConfig.ApiUser> e : config.api().tokens().entrySet()) {
                String expected;
                try {
                    expected = e.getValue().password().orElseGet(() -> Secrets.readFile(e.getValue().passwordFile().orElseThrow()));
                } catch (RuntimeException unreadable) {
                    continue;
                }
                if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given)) {
                    return QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(e.getKey()))
                            .addRoles(e.getValue().roles()).build();
                }
            }
            throw new AuthenticationFailedException();
        });
    }
}
