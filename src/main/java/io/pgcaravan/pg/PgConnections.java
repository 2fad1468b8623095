package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** JDBC connections to a job's source or destination, with the password kept in memory only. */
public final class PgConnections {

    private PgConnections() {
    }

    public static Connection open(DatabaseEndpoint endpoint, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", endpoint.user());
        Secrets.password(endpoint).ifPresent(pw -> props.setProperty("password", pw));
        props.setProperty("ApplicationName", "pg-caravan");
        props.setProperty("connectTimeout", "15");
        props.setProperty("loginTimeout", "20");
        props.setProperty("tcpKeepAlive", "true");
        endpoint.sslmode().ifPresent(m -> props.setProperty("sslmode", m));
        // the driver URL-decodes the database name, so any name (spaces, slashes, quotes) gets through
        String url = "jdbc:postgresql://" + hostForUrl(endpoint.host()) + ":" + endpoint.port() + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8);
        return DriverManager.getConnection(url, props);
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Quotes an identifier for SQL the way quote_ident() would, always. */
    public static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    public static String qualified(String schema, String name) {
        return ident(schema) + "." + ident(name);
    }

    /** A string literal for statements that take no parameters (CREATE DATABASE ... LC_COLLATE '...'). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /**
     * Cancels the statement each connection runs, on the server (a COPY blocked on its socket does
     * not see its thread's interruption); the COPY then ends with an error, its transaction with it.
     */
    public static void cancelAll(java.util.Set<org.postgresql.core.BaseConnection> open) {
        for (org.postgresql.core.BaseConnection c : java.util.List.copyOf(open)) {
            try {
                c.cancelQuery();
            } catch (SQLException e) {
                // (gone already)
            }
        }
    }
}
