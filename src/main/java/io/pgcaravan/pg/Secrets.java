package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads passwords where the configuration keeps them. Never logs or returns them in messages. */
public final class Secrets {

    private Secrets() {
    }

    public static Optional<String> password(DatabaseEndpoint endpoint) {
        if (endpoint.password().isPresent()) {
            return endpoint.password();
        }
        if (endpoint.passwordFile().isPresent()) {
            return endpoint.passwordFile().map(Secrets::readFile);
        }
        return endpoint.passwordEnv().map(name -> {
            String value = System.getenv(name);
            if (value == null) {
                throw new IllegalStateException("the environment variable " + name + " that should hold the password is not set");
            }
            return value;
        });
    }

    /** Reads a secret file, dropping trailing line breaks (as `echo secret > file` leaves them). */
    public static String readFile(Path file) {
        try {
            return Files.readString(file).replaceAll("[\r\n]+$", "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read secret file " + file + ": " + e.getMessage(), e);
        }
    }
}
