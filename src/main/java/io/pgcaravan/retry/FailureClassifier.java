package io.pgcaravan.retry;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.SftpException;
import io.pgcaravan.exec.ToolFailedException;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Tells connection failures from the others, on the real exceptions and tool outputs: JDBC SQLState
 * classes 08 (connection exception) and 57P (server shutting down or starting), socket exceptions,
 * JSch connect failures, and what pg_dump / pg_restore / psql print when the server goes away.
 */
public final class FailureClassifier {

    /**
     * Tool messages (LC_MESSAGES=C) that mean the server could not be reached or went away: libpq's
     * own wording in fe-connect.c, fe-misc.c, fe-secure.c and fe-secure-openssl.c (with and without
     * SSL; over SSL a server that stops mid-COPY shows as "SSL connection has been closed
     * unexpectedly", "SSL SYSCALL error: EOF detected" or OpenSSL 3's "unexpected eof while
     * reading"), the server's FATALs of SQLSTATE classes 57P (shutdown, crash, start-up, recovery)
     * and 53300 (no connection slot now), and pg_dump/pg_restore's wrappers of a failed COPY send.
     * The wrappers of a failed COPY receive ("PQgetCopyData() failed") are not here: the server's
     * message that follows them tells (a statement timeout there is not a connection failure).
     */
    static final List<String> TOOL_CONNECTION_MESSAGES = List.of(
            // could not reach the server
            "could not connect to server", "connection to server at", "connection to server on socket",
            "connection refused", "could not translate host name", "network is unreachable", "no route to host",
            "connection timed out", "timeout expired", "host is unreachable",
            // the server went away while talking to it
            "server closed the connection unexpectedly", "could not receive data from server",
            "could not send data to server", "lost synchronization with server", "connection to server was lost",
            "no connection to the server", "connection reset by peer", "broken pipe", "socket is not connected",
            "ssl syscall error", "ssl connection has been closed unexpectedly", "unexpected eof while reading",
            "ssl error: eof detected", "error returned by pqputcopydata", "error returned by pqputcopyend",
            // the server said it is going away, is not there yet, or has no slot now
            "terminating connection due to administrator command",
            "terminating connection because of crash of another server process",
            "terminating connection due to immediate shutdown command",
            "terminating connection due to unexpected postmaster exit",
            "the database system is shutting down", "the database system is starting up",
            "the database system is in recovery mode", "the database system is not yet accepting connections",
            "the database system is not accepting connections", "sorry, too many clients already",
            "remaining connection slots are reserved");
    /**
     * ... unless it is about credentials, names or rights, which a retry does not fix any faster.
     * These win over the list above: libpq prefixes every refused connection with "connection to
     * server at ... failed:", so a wrong password reads like an unreachable server.
     */
    static final List<String> TOOL_NOT_CONNECTION_MESSAGES = List.of(
            "authentication failed", "no password supplied", "no pg_hba.conf entry", "pg_hba.conf rejects connection",
            "is not permitted to log in", "does not exist", "permission denied", "not currently accepting connections",
            "certificate", "does not match host name", "channel binding", "ssl error: tlsv1 alert", "server does not support ssl",
            "unrecognized ssl message", "must be owner of", "must be member of");

    private FailureClassifier() {
    }

    public static FailureClass classify(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = failure; t != null && seen.put(t, true) == null; t = t.getCause()) {
            FailureClass c = classifyOne(t);
            if (c != null) {
                return c;
            }
        }
        return FailureClass.OTHER;
    }

    private static FailureClass classifyOne(Throwable t) {
        if (t instanceof Classified k) {
            return k.failureClass();
        }
        if (t instanceof SQLException sql && sql.getSQLState() != null) {
            String state = sql.getSQLState();
            // 08: connection exception; 57P: shutdown, crash, start-up; 53300: no connection slot now
            return state.startsWith("08") || state.startsWith("57P") || state.equals("53300")
                    ? FailureClass.CONNECTION : FailureClass.OTHER;
        }
        if (t instanceof ToolFailedException tool) {
            return fromToolOutput(String.join("\n", tool.stderrTail()));
        }
        if (t instanceof JSchException j) {
            String msg = String.valueOf(j.getMessage());
            if (msg.contains("HostKey") || msg.contains("Auth fail") || msg.contains("Auth cancel")) {
                return FailureClass.FINAL; // a security refusal: retrying would only try to get around it
            }
            return FailureClass.CONNECTION;
        }
        if (t instanceof SftpException s) {
            if (s.id == ChannelSftp.SSH_FX_NO_CONNECTION || s.id == ChannelSftp.SSH_FX_CONNECTION_LOST) {
                return FailureClass.CONNECTION;
            }
            return s.getCause() != null ? null : FailureClass.OTHER; // the cause (a broken pipe, ...) tells
        }
        if (t instanceof SSLHandshakeException
                || (t instanceof SSLException && String.valueOf(t.getMessage()).contains("Unrecognized SSL message"))) {
            return FailureClass.OTHER; // a certificate or protocol refusal, not a lost connection
        }
        if (t instanceof SSLException || t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
                || t instanceof SocketTimeoutException || t instanceof SocketException || t instanceof EOFException) {
            return FailureClass.CONNECTION;
        }
        String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        if (msg.startsWith("cannot connect to sftp") || msg.contains("pipe closed") || msg.contains("session is down")
                || msg.contains("channel is not opened") || msg.contains("inputstream is closed")
                || msg.contains("end of io stream read") || msg.contains("connection is closed by foreign host")) {
            return FailureClass.CONNECTION;
        }
        return null;
    }

    static FailureClass fromToolOutput(String stderr) {
        String s = stderr.toLowerCase(Locale.ROOT);
        if (TOOL_NOT_CONNECTION_MESSAGES.stream().anyMatch(s::contains)) {
            return FailureClass.OTHER;
        }
        return TOOL_CONNECTION_MESSAGES.stream().anyMatch(s::contains) ? FailureClass.CONNECTION : FailureClass.OTHER;
    }
}
