package io.pgcaravan.config;

import org.eclipse.microprofile.config.spi.Converter;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a retry window: a number of minutes ("720", as the managed service's console takes it), a
 * number with a unit ("720m", "12h", "90s", "1d") or an ISO-8601 duration ("PT12H").
 */
public class RetryDuration implements Converter<Duration> {

    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})\\s*(s|m|min|h|d)?");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a retry window must not be empty");
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(v);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "m" : m.group(2);
            return switch (unit) {
                case "s" -> Duration.ofSeconds(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofMinutes(n);
            };
        }
        try {
            return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + value + "' is not a duration: use minutes (720), a unit (720m, 12h, 90s) or ISO-8601 (PT12H)");
        }
    }

    /** "720 min", "90 s": how the windows are shown in messages. */
    public static String format(Duration d) {
        if (d.toSecondsPart() == 0 && d.toMillisPart() == 0 && d.toMinutes() > 0) {
            return d.toMinutes() + " min";
        }
        return d.toSeconds() + " s";
    }
}
