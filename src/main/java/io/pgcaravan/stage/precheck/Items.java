package io.pgcaravan.stage.precheck;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.FailureClassifier;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/** How the precheck's items name servers and list objects, and what an unreachable server makes of an item. */
public final class Items {

    /** At most this many objects are listed with an item. */
    public static final int MAX_LISTED = 50;

    public static PrecheckItem connectionFailure(String item, String where, SQLException e) {
        String message = "cannot connect to " + where + ": " + e.getMessage();
        return FailureClassifier.classify(e) == FailureClass.CONNECTION
                ? PrecheckItem.unreachable(item, message) : PrecheckItem.fail(item, message);
    }

    public static String listed(List<String> names) {
        return names.stream().limit(5).collect(Collectors.joining(", ")) + (names.size() > 5 ? ", ..." : "");
    }

    public static List<String> limit(List<String> names) {
        return names.stream().limit(MAX_LISTED).toList();
    }

    public static String where(JobConfig.DatabaseEndpoint ep) {
        return ep.host() + ":" + ep.port() + "/" + ep.database();
    }

    private Items() {
    }
}
