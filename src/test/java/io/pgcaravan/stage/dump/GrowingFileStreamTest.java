package io.pgcaravan.stage.dump;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A file another process is still writing is read whole, as it grows, and ends when that process closes it. */
class GrowingFileStreamTest {

    @TempDir
    Path dir;

    @Test
    void readsWhatIsWrittenUntilTheWriterClosesTheFile() throws Exception {
        Path file = dir.resolve("3391.dat");
        // a writer as pg_dump is one: opens the file, writes in bursts, closes it and lives on
        Process writer = new ProcessBuilder("sh", "-c",
                "exec 3>\"$0\"; printf 'first ' >&3; sleep 0.6; printf 'second ' >&3; sleep 0.6; printf 'last' >&3; exec 3>&-; sleep 5", file.toString())
                .start();
        try {
            while (!Files.exists(file)) {
                Thread.sleep(5);
            }
            long start = System.nanoTime();
            byte[] read;
            GrowingFileStream in = new GrowingFileStream(file, () -> false);
            try (InputStream s = in) {
                read = s.readAllBytes();
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(new String(read, StandardCharsets.US_ASCII)).isEqualTo("first second last");
            assertThat(in.bytesRead()).isEqualTo(Files.size(file));
            // it waited for the writer's bursts, and ended at its close, not at its exit
            assertThat(millis).isBetween(1000L, 4000L);
            assertThat(writer.isAlive()).isTrue();
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void aClosedFileIsReadToItsEndAtOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("3392.dat"), "complete");
        try (InputStream s = new GrowingFileStream(file, () -> false)) {
            assertThat(new String(s.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("complete");
        }
    }

    @Test
    void endsOnceTheWriterIsDoneEvenIfAnotherProcessHoldsTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("3394.dat"), "all of it");
        // say, a backup agent that keeps the file open
        Process holder = new ProcessBuilder("sh", "-c", "exec 3<\"$0\"; sleep 30", file.toString()).start();
        try {
            while (!OpenFiles.heldByOthers(file)) {
                Thread.sleep(5);
            }
            boolean[] done = {false};
            new Thread(() -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                done[0] = true;
            }).start();
            try (InputStream s = new GrowingFileStream(file, () -> done[0])) {
                assertThat(new String(s.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("all of it");
            }
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void aFileReachedThroughALinkIsSeenOpen() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("staging"), real);
        Path file = link.resolve("3395.dat");
        Process writer = new ProcessBuilder("sh", "-c", "exec 3>\"$0\"; printf 'x' >&3; sleep 30", real.resolve("3395.dat").toString()).start();
        try {
            while (!Files.exists(file) || !OpenFiles.heldByOthers(real.resolve("3395.dat"))) {
                Thread.sleep(5);
            }
            assertThat(OpenFiles.heldByOthers(file)).isTrue();
            assertThat(OpenFiles.under(link)).isNotEmpty();
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void stopsWhenItsThreadIsInterrupted() throws Exception {
        Path file = dir.resolve("3393.dat");
        Process writer = new ProcessBuilder("sh", "-c", "exec 3>\"$0\"; printf 'x' >&3; sleep 30", file.toString()).start();
        try {
            while (!Files.exists(file)) {
                Thread.sleep(5);
            }
            Thread.currentThread().interrupt();
            try (InputStream s = new GrowingFileStream(file, () -> false)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(s::readAllBytes).isInstanceOf(java.io.InterruptedIOException.class);
            } finally {
                Thread.interrupted();
            }
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }
}
