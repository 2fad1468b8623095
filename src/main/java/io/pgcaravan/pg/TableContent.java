package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** What the verification reads of one table: its exact row count and, in checksum mode, a content checksum. */
public final class TableContent {

    private TableContent() {
    }

    /**
     * Rows and, if asked, an order-independent checksum of their content: the sum of a 64-bit hash
     * of each row's text. It costs a full read of the table on both sides, which is why it is off
     * by default. Both sides read with the same output settings (see {@link SnapshotReader#open}).
     */
    public record Counted(long rows, String checksum) {
    }

    public static Counted read(Connection c, Catalog.Table t, boolean checksum) throws SQLException {
        String sql = checksum
                ? "SELECT count(*), coalesce(sum(hashtextextended(caravan_row_ref::text, 0)::numeric), 0)::text FROM ONLY "
                + t.qualified() + " AS caravan_row_ref"
                : "SELECT count(*), NULL FROM ONLY " + t.qualified();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new Counted(rs.getLong(1), rs.getString(2));
        }
    }
}
