package io.pgcaravan.delivery;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of a script pg_restore wrote: split at the semicolons outside quotes (string
 * literals with '' escapes, quoted identifiers, dollar quotes), without its comment lines and
 * psql's meta-commands ({@code \connect}, {@code \restrict}, ...), which only psql understands.
 * The script came through the drop directory, so what pg_dump never writes and this splitter
 * would read otherwise than the server does (block comments, E'' strings with backslash
 * escapes) is refused rather than guessed at.
 */
public final class SqlScript {

    private SqlScript() {
    }

    public static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean blank = true; // whether current holds only white space: a statement starts at the next character
        int i = 0;
        int n = script.length();
        while (i < n) {
            char ch = script.charAt(i);
            if (blank && (ch == '\\' || (ch == '-' && i + 1 < n && script.charAt(i + 1) == '-'))) {
                // a meta-command or a comment line: skipped to its end
                int eol = script.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
                current.setLength(0);
                continue;
            }
            if (ch == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                // a comment inside a statement: its quotes quote nothing
                int eol = script.indexOf('\n', i);
                int end = eol < 0 ? n : eol;
                current.append(script, i, end);
                i = end;
                continue;
            }
            if (ch == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                throw new IllegalArgumentException("the script holds a block comment, which pg_dump does not write");
            }
            if (ch == '\'' && i > 0 && (script.charAt(i - 1) == 'E' || script.charAt(i - 1) == 'e')
                    && (i < 2 || !Character.isLetterOrDigit(script.charAt(i - 2)) && script.charAt(i - 2) != '_')) {
                throw new IllegalArgumentException("the script holds an E'' string, which pg_dump does not write");
            }
            if (ch == '\'' || ch == '"') {
                int end = closing(script, i + 1, ch);
                current.append(script, i, end);
                blank = false;
                i = end;
                continue;
            }
            if (ch == '$') {
                int tagEnd = script.indexOf('$', i + 1);
                String tag = tagEnd < 0 ? null : script.substring(i, tagEnd + 1);
                if (tag != null && tag.matches("\\$[A-Za-z_0-9]*\\$")) {
                    int close = script.indexOf(tag, tagEnd + 1);
                    int end = close < 0 ? n : close + tag.length();
                    current.append(script, i, end);
                    blank = false;
                    i = end;
                    continue;
                }
            }
            if (ch == ';') {
                out.add(current.toString().strip());
                current.setLength(0);
                blank = true;
                i++;
                continue;
            }
            current.append(ch);
            blank = blank && Character.isWhitespace(ch);
            i++;
        }
        if (!blank) {
            throw new IllegalArgumentException("the script ends inside a statement: " + current.toString().strip());
        }
        return out;
    }

    /** The index just past the quote that closes one opened before {@code from}; a script may not end inside it. */
    private static int closing(String s, int from, char quote) {
        int end = pastQuoted(s, from - 1);
        if (end < 0) {
            throw new IllegalArgumentException("the script ends inside a quoted text");
        }
        return end;
    }

    /**
     * The index just past the quote that closes the one at {@code open} (a doubled quote is part
     * of the text), or -1 if none does.
     */
    static int pastQuoted(String s, int open) {
        char quote = s.charAt(open);
        int i = open + 1;
        while (i < s.length()) {
            if (s.charAt(i) == quote) {
                if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return -1;
    }
}
