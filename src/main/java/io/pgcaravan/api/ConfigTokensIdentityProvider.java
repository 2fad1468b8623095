package io.pgcaravan.api;

import io.pgcaravan.config.CaravanConfig;
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

import java.util.Map;

/** The bearer tokens of {@code caravan.api.tokens.*}; the token's name is the principal. */
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
            char[] given = request.getToken().getToken().toCharArray();
            for (Map.Entry<String, CaravanConfig.ApiUser> e : config.api().tokens().entrySet()) {
                if (ConfigUsersIdentityProvider.matches(e.getValue(), given)) {
                    return QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(e.getKey()))
                            .addRoles(e.getValue().roles()).build();
                }
            }
            throw new AuthenticationFailedException();
        });
    }
}
