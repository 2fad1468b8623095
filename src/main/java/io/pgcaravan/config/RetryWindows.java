package io.pgcaravan.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules for the two retry windows, as the managed migration service has them: connection
 * failures 10 to 1440 minutes (default 720), other failures 1 to 1440 minutes (default 10), and
 * the other window shorter than the connection window.
 */
public final class RetryWindows {

    public static final Duration CONNECTION_MIN = Duration.ofMinutes(10);
    public static final Duration OTHER_MIN = Duration.ofMinutes(1);
    public static final Duration MAX = Duration.ofMinutes(1440);

    private RetryWindows() {
    }

    /**
     * What is wrong with the two windows, each message naming where they came from.
     *
     * @param connectionName how the connection window is called where it was set (a property, a field)
     * @param enforceRanges  false only in test profiles, which use windows of seconds
     */
    public static List<String> problems(Duration connection, String connectionName, Duration other, String otherName,
                                        boolean enforceRanges) {
        List<String> problems = new ArrayList<>();
        if (connection.isNegative() || connection.isZero()) {
            problems.add(connectionName + ": must be positive, got " + RetryDuration.format(connection));
        } else if (enforceRanges && (connection.compareTo(CONNECTION_MIN) < 0 || connection.compareTo(MAX) > 0)) {
            problems.add(connectionName + ": must be between 10 and 1440 minutes, got " + RetryDuration.format(connection));
        }
        if (other.isNegative() || other.isZero()) {
            problems.add(otherName + ": must be positive, got " + RetryDuration.format(other));
        } else if (enforceRanges && (other.compareTo(OTHER_MIN) < 0 || other.compareTo(MAX) > 0)) {
            problems.add(otherName + ": must be between 1 and 1440 minutes, got " + RetryDuration.format(other));
        }
        if (other.compareTo(connection) >= 0) {
            problems.add(otherName + " (" + RetryDuration.format(other) + ") must be shorter than " + connectionName
                    + " (" + RetryDuration.format(connection) + ")");
        }
        return problems;
    }
}
