package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A libpq connection string ("host=... dbname=... passfile=..."). The PostgreSQL tools take it as
 * their --dbname, so the password stays in the passfile and out of every argument list.
 */
public final class ConnInfo {

    private ConnInfo() {
    }

    public static String of(DatabaseEndpoint endpoint, String database, Path passfile) {
        return of(endpoint, database, passfile, Map.of());
    }

    /**
     * With session settings for the connection ({@code options='-c name=value ...'}). Names and
     * values are checked at start-up to need no escaping (see ConfigChecks).
     */
    public static String of(DatabaseEndpoint endpoint, String database, Path passfile, Map<String, String> settings) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("host", endpoint.host());
        params.put("port", Integer.toString(endpoint.port()));
        params.put("dbname", database);
        params.put("user", endpoint.user());
        if (passfile != null) {
            params.put("passfile", passfile.toString());
        }
        endpoint.sslmode().ifPresent(m -> params.put("sslmode", m));
        params.put("connect_timeout", "15");
        params.put("application_name", "pg-caravan");
        if (!settings.isEmpty()) {
            params.put("options", settings.entrySet().stream().map(e -> "-c " + e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" ")));
        }
        return params.entrySet().stream()
                .map(e -> e.getKey() + "=" + quote(e.getValue()))
                .collect(Collectors.joining(" "));
    }

    /** libpq quoting: single quotes, with backslash and quote escaped by a backslash. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
