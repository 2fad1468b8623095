package io.pgcaravan.retry;

import com.jcraft.jsch.JSchException;
import io.pgcaravan.exec.ToolFailedException;
import io.pgcaravan.run.StageFailedException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The failure classes, on the exceptions and messages the real components produce. */
class FailureClassifierTest {

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

    @Test
    void stagesSayWhatTheyAre() {
        assertThat(FailureClassifier.classify(new StageFailedException("checksum mismatch"))).isEqualTo(FailureClass.OTHER);
        assertThat(FailureClassifier.classify(StageFailedException.verdict("verification failed"))).isEqualTo(FailureClass.FINAL);
    }

    private static FailureClass tool(String stderr) {
        return FailureClassifier.classify(new ToolFailedException("pg_restore", 1, List.of(stderr)));
    }
}
