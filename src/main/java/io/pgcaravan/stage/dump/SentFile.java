package io.pgcaravan.stage.dump;

/**
 * What was sent of one dump file while pg_dump ran: valid for the local file only while its size
 * and modification time are unchanged, and (zstd) only if pg_dump's file had {@code rawBytes} in
 * the end, as {@link ZstdDump#settle} checks.
 */
record SentFile(long size, long mtimeMillis, String sha256, long rawBytes) {
}
