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

/**
 * Tells connection failures from the others, on the real exceptions and tool outputs: JDBC SQLState
 * classes 08 (connection exception) and 57P (server shutting down or starting), socket exceptions,
 * JSch connect failures, and what pg_dump / pg_restore / psql print when the server goes away.
 */
public final class FailureClassifier {

    /** Tool messages (LC_MESSAGES=C) that mean the server could not be reached or went away. */
    static final List<String> TOOL_CONNECTION_MESSAGES = List.of(
            "could not connect to server", "connection refused", "could not translate host name",
            "server closed the connection unexpectedly", "terminating connection due to administrator command",
            "the database system is shutting down", "the database system is starting up",
            "the database system is in recovery mode", "no connection to the server", "connection timed out",
            "timeout expired", "ssl syscall error", "could not receive data from server",
            "could not send data to server", "lost synchronization with server", "connection to server was lost",
            "network is unreachable", "no route to host");
    /** ... unless it is about credentials or names, which a retry does not fix any faster. */
    static final List<String> TOOL_NOT_CONNECTION_MESSAGES = List.of(
            "password authentication failed", "no pg_hba.conf entry", "does not exist", "permission denied");

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
            return state.startsWith("08") || state.startsWith("57P") ? FailureClass.CONNECTION : FailureClass.OTHER;
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
        if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
                || t instanceof SocketTimeoutException || t instanceof SocketException || t instanceof EOFException) {
            return FailureClass.CONNECTION;
        }
        String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        if (msg.startsWith("cannot connect to sftp") || msg.contains("pipe closed") || msg.contains("session is down")
                || msg.contains("channel is not opened") || msg.contains("inputstream is closed")) {
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
