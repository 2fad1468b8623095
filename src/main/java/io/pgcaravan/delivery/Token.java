package io.pgcaravan.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A piece of a statement: a bare word, a quoted identifier, a literal, white space or a symbol. */
record Token(String text, Kind kind) {
    enum Kind { WORD, QUOTED, LITERAL, SPACE, SYMBOL }

    boolean word() {
        return kind == Kind.WORD;
    }

    boolean ident() {
        return kind == Kind.WORD || kind == Kind.QUOTED;
    }

    boolean space() {
        return kind == Kind.SPACE;
    }

    /** The name the identifier stands for. */
    String name() {
        return kind == Kind.QUOTED ? text.substring(1, text.length() - 1).replace("\"\"", "\"") : text.toLowerCase(Locale.ROOT);
    }

    static List<Token> split(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char ch = s.charAt(i);
            int start = i;
            if (Character.isWhitespace(ch)) {
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(s.substring(start, i), Kind.SPACE));
            } else if (ch == '"' || ch == '\'') {
                int end = SqlScript.pastQuoted(s, i);
                i = end < 0 ? n : end;
                out.add(new Token(s.substring(start, i), ch == '"' ? Kind.QUOTED : Kind.LITERAL));
            } else if (ch == '$' && s.indexOf('$', i + 1) > 0 && s.substring(i, s.indexOf('$', i + 1) + 1).matches("\\$[A-Za-z_0-9]*\\$")) {
                String tag = s.substring(i, s.indexOf('$', i + 1) + 1);
                int close = s.indexOf(tag, i + tag.length());
                i = close < 0 ? n : close + tag.length();
                out.add(new Token(s.substring(start, i), Kind.LITERAL));
            } else if (Character.isLetter(ch) || ch == '_') {
                while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
                    i++;
                }
                out.add(new Token(s.substring(start, i), Kind.WORD));
            } else {
                out.add(new Token(String.valueOf(ch), Kind.SYMBOL));
                i++;
            }
        }
        return out;
    }
}
