package org.rerender.model.clip;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small HTML entity decoder standing in for Python's {@code html.unescape} in CLIP's text cleanup:
 * decimal and hexadecimal character references, and the named entities that occur in prompts.
 * Unknown names are left as they are (as Python does for names it does not know).
 */
final class HtmlEntities {

	private static final Pattern REF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)");

	private static final Map<String, String> NAMED = Map.ofEntries(Map.entry("amp", "&"), Map.entry("lt", "<"),
		Map.entry("gt", ">"), Map.entry("quot", "\""), Map.entry("apos", "'"), Map.entry("nbsp", "\u00a0"),
		Map.entry("copy", "\u00a9"), Map.entry("reg", "\u00ae"), Map.entry("trade", "\u2122"),
		Map.entry("hellip", "\u2026"), Map.entry("mdash", "\u2014"), Map.entry("ndash", "\u2013"),
		Map.entry("lsquo", "\u2018"), Map.entry("rsquo", "\u2019"), Map.entry("ldquo", "\u201c"),
		Map.entry("rdquo", "\u201d"), Map.entry("deg", "\u00b0"), Map.entry("times", "\u00d7"),
		Map.entry("middot", "\u00b7"), Map.entry("laquo", "\u00ab"), Map.entry("raquo", "\u00bb"),
		Map.entry("eacute", "\u00e9"), Map.entry("egrave", "\u00e8"), Map.entry("aacute", "\u00e1"),
		Map.entry("agrave", "\u00e0"), Map.entry("ouml", "\u00f6"), Map.entry("uuml", "\u00fc"),
		Map.entry("auml", "\u00e4"), Map.entry("szlig", "\u00df"), Map.entry("ccedil", "\u00e7"),
		Map.entry("ntilde", "\u00f1"), Map.entry("euro", "\u20ac"), Map.entry("pound", "\u00a3"));

	/** Entities HTML5 also accepts without the trailing semicolon. */
	private static final java.util.Set<String> LEGACY = java.util.Set.of("amp", "lt", "gt", "quot", "nbsp", "copy", "reg");

	private HtmlEntities() {}

	static String unescape(String s) {
		if (s.indexOf('&') < 0) return s;
		Matcher m = REF.matcher(s);
		StringBuilder out = new StringBuilder();
		while (m.find()) {
			String body = m.group(1);
			boolean semi = body.endsWith(";");
			String core = semi ? body.substring(0, body.length() - 1) : body;
			String rep = null;
			if (core.startsWith("#")) {
				try {
					int cp = core.length() > 1 && (core.charAt(1) == 'x' || core.charAt(1) == 'X')
						? Integer.parseInt(core.substring(2), 16) : Integer.parseInt(core.substring(1));
					rep = cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? "\uFFFD" : new String(Character.toChars(cp));
				}
				catch (NumberFormatException e) {
					rep = "\uFFFD";
				}
			}
			else if (NAMED.containsKey(core) && (semi || LEGACY.contains(core))) rep = NAMED.get(core);
			m.appendReplacement(out, Matcher.quoteReplacement(rep == null ? m.group() : rep));
		}
		m.appendTail(out);
		return out.toString();
	}
}
