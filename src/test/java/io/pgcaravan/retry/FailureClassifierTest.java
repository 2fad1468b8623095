package io.pgcaravan.retry;

import com.jcraft.jsch.JSchException;
import io.pgcaravan.exec.ToolFailedException;
import io.pgcaravan.work.StageFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The failure classes, on the exceptions and messages the real components produce. */
public class FailureClassifierTest {

    @Test
    void jdbcConnectionStatesAreConnectionFailures() {
        assertThat(FailureClassifier.classify(new SQLException("refused", "08001"))).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new SQLException("terminating connection due to administrator command", "57P01")))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new SQLException("syntax error", "42601"))).isEqualTo(FailureClass.OTHER);
        assertThat(FailureClassifier.classify(new SQLException("password authentication failed", "28P01"))).isEqualTo(FailureClass.OTHER);
    }

    @Test
    void networkExceptionsAnywhereInTheChainAreConnectionFailures() {
        assertThat(FailureClassifier.classify(new RuntimeException("wrapped", new ConnectException("Connection refused"))))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new IOException(new UnknownHostException("db.example")))).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new RuntimeException("Cannot connect to sftp://u@h:22"))).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new IOException("No space left on device"))).isEqualTo(FailureClass.OTHER);
    }

    @Test
    void sshRefusalsAreVerdictsButUnreachableHostsAreNot() {
        assertThat(FailureClassifier.classify(new JSchException("java.net.ConnectException: Connection refused")))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new JSchException("HostKey has been changed: [h]:22"))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClassifier.classify(new JSchException("reject HostKey: [h]:22"))).isEqualTo(FailureClass.FINAL);
        assertThat(FailureClassifier.classify(new JSchException("Auth fail for methods 'publickey'"))).isEqualTo(FailureClass.FINAL);
    }

    @Test
    void toolOutputTellsConnectionFailuresFromOthers() {
        assertThat(tool("pg_restore: error: connection to server at \"127.0.0.1\", port 55433 failed: Connection refused"))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(tool("pg_dump: error: server closed the connection unexpectedly")).isEqualTo(FailureClass.CONNECTION);
        assertThat(tool("pg_restore: error: could not execute query: FATAL:  terminating connection due to administrator command"))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(tool("pg_dump: error: connection to server at \"h\" failed: FATAL:  password authentication failed for user \"u\""))
                .isEqualTo(FailureClass.OTHER);
        assertThat(tool("pg_restore: error: could not execute query: ERROR:  schema \"shop\" already exists")).isEqualTo(FailureClass.OTHER);
    }

    /** Every way libpq, pg_dump and pg_restore 12-17 say the server went away (LC_MESSAGES=C). */
    @ParameterizedTest
    @ValueSource(strings = {
            // a COPY over SSL when the server stops (the one issue 12 saw misclassified)
            "pg_restore: error: error returned by PQputCopyData: SSL connection has been closed unexpectedly",
            "pg_restore: error: error returned by PQputCopyEnd: SSL connection has been closed unexpectedly",
            "pg_restore: error: error returned by PQputCopyData: SSL SYSCALL error: EOF detected",
            "pg_restore: error: error returned by PQputCopyData: SSL SYSCALL error: Connection reset by peer",
            "pg_restore: error: error returned by PQputCopyData: SSL error: unexpected eof while reading",
            "pg_restore: error: error returned by PQputCopyData: server closed the connection unexpectedly\n"
                    + "\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.",
            "pg_restore: error: error returned by PQputCopyData: could not send data to server: Broken pipe",
            "pg_restore: error: error returned by PQputCopyData: no connection to the server",
            // the same without SSL, and pg_dump's side
            "pg_dump: error: Dumping the contents of table \"big\" failed: PQgetCopyData() failed.\n"
                    + "pg_dump: detail: Error message from server: server closed the connection unexpectedly",
            "pg_dump: error: Dumping the contents of table \"big\" failed: PQgetCopyData() failed.\n"
                    + "pg_dump: detail: Error message from server: SSL connection has been closed unexpectedly",
            "pg_dump: error: query failed: could not receive data from server: Connection reset by peer",
            "pg_dump: error: query failed: could not receive data from server: Connection timed out",
            "pg_dump: error: error reading large object 16399: SSL SYSCALL error: EOF detected",
            "pg_restore: error: could not execute query: could not send data to server: Socket is not connected",
            "psql: error: connection to server was lost",
            "pg_dump: error: query failed: lost synchronization with server: got message type \"d\", length 1",
            // the server says it is going, gone, not there yet, or full
            "pg_restore: error: could not execute query: FATAL:  terminating connection due to administrator command",
            "pg_dump: error: query failed: FATAL:  terminating connection because of crash of another server process",
            "pg_restore: error: connection to server at \"127.0.0.1\", port 55433 failed: FATAL:  the database system is shutting down",
            "pg_restore: error: connection to server at \"127.0.0.1\", port 55433 failed: FATAL:  the database system is starting up",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  the database system is in recovery mode",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  the database system is not yet accepting connections\n"
                    + "DETAIL:  Consistent recovery state has not been yet reached.",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  sorry, too many clients already",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute",
            // not reachable at all (PostgreSQL 14+ and 12-13 wording)
            "pg_dump: error: connection to server at \"10.1.2.3\", port 5432 failed: Connection timed out\n"
                    + "\tIs the server running on that host and accepting TCP/IP connections?",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: No route to host",
            "pg_dump: error: could not connect to server: Connection refused\n\tIs the server running on host \"db\" (10.1.2.3) and accepting",
            "pg_dump: error: could not translate host name \"db.example\" to address: Name or service not known",
            "pg_dump: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory",
            "pg_restore: error: connection to server at \"db\", port 5432 failed: timeout expired"})
    void everyWayTheToolsSayTheServerWentAwayIsAConnectionFailure(String stderr) {
        assertThat(tool(stderr)).as(stderr).isEqualTo(FailureClass.CONNECTION);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  no pg_hba.conf entry for host \"10.0.0.9\"",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  database \"shop\" does not exist",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: root certificate file \"/x\" does not exist",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: SSL error: certificate verify failed",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: server does not support SSL, but SSL was required",
            "pg_dump: error: Dumping the contents of table \"big\" failed: PQgetCopyData() failed.\n"
                    + "pg_dump: detail: Error message from server: ERROR:  canceling statement due to statement timeout",
            "pg_restore: error: could not execute query: ERROR:  permission denied for schema app",
            "pg_restore: error: could not execute query: ERROR:  must be owner of table orders",
            "pg_restore: error: could not execute query: ERROR:  must be member of role \"postgres\"",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: fe_sendauth: no password supplied",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  pg_hba.conf rejects connection for host \"10.0.0.9\"",
            "pg_dump: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  Peer authentication failed for user \"u\"",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  role \"u\" is not permitted to log in",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: server certificate for \"db\" does not match host name \"x\"",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: channel binding required, but server authenticated client without channel binding",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: FATAL:  database \"shop\" is not currently accepting connections",
            "pg_dump: error: connection to server at \"db\", port 5432 failed: SSL error: tlsv1 alert unknown ca",
            "pg_restore: error: could not execute query: ERROR:  could not extend file \"base/16384/16385\": No space left on device"})
    void refusalsAndServerErrorsAreNotConnectionFailures(String stderr) {
        assertThat(tool(stderr)).as(stderr).isEqualTo(FailureClass.OTHER);
    }

    @Test
    void jdbcAndTlsFailuresOfALostConnection() {
        // what pgjdbc throws when the server goes away mid-statement, over SSL
        SQLException io = new SQLException("An I/O error occurred while sending to the backend.", "08006",
                new javax.net.ssl.SSLException("Connection reset"));
        assertThat(FailureClassifier.classify(io)).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new SQLException("FATAL: the database system is starting up", "57P03")))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new SQLException("FATAL: sorry, too many clients already", "53300")))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new RuntimeException(new javax.net.ssl.SSLException("Tag mismatch"))))
                .isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new RuntimeException(
                new javax.net.ssl.SSLHandshakeException("PKIX path building failed")))).isEqualTo(FailureClass.OTHER);
        assertThat(FailureClassifier.classify(new RuntimeException(
                new javax.net.ssl.SSLException("Unrecognized SSL message, plaintext connection?")))).isEqualTo(FailureClass.OTHER);
        assertThat(FailureClassifier.classify(new java.io.EOFException())).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new java.net.SocketException("Broken pipe"))).isEqualTo(FailureClass.CONNECTION);
        // JSch and camel-ftp when the SSH channel ends
        assertThat(FailureClassifier.classify(new IOException("End of IO Stream Read"))).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new IOException("inputstream is closed"))).isEqualTo(FailureClass.CONNECTION);
        assertThat(FailureClassifier.classify(new com.jcraft.jsch.SftpException(4, "Pipe closed", new IOException("Pipe closed"))))
                .isEqualTo(FailureClass.CONNECTION);
    }

    @Test
    void stagesSayWhatTheyAre() {
        assertThat(FailureClassifier.classify(new StageFailedException("checksum mismatch"))).isEqualTo(FailureClass.OTHER);
        assertThat(FailureClassifier.classify(StageFailedException.verdict("verification failed"))).isEqualTo(FailureClass.FINAL);
    }

    private static FailureClass tool(String stderr) {
        return FailureClassifier.classify(new ToolFailedException("pg_restore", 1, List.of(stderr)));
    }
}
