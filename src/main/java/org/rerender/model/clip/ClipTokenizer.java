package org.rerender.model.clip;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.rerender.engine.RerenderException;

/**
 * CLIP's byte-level BPE tokenizer (openai/CLIP {@code simple_tokenizer}) with Stable Diffusion's framing:
 * {@code [49406] + bpe(text)[:75] + [49407]}, padded with 49407 to 77 ids.
 *
 * <p>Text cleanup: HTML entities unescaped twice, NFC normalisation (the reference generator's stand-in
 * for ftfy), runs of whitespace collapsed to one space, trimmed, lower-cased. The merges come from either
 * CLIP's gzipped {@code bpe_simple_vocab_16e6.txt.gz} (the vocabulary is then derived as CLIP does) or the
 * Hugging Face pair {@code vocab.json} + {@code merges.txt}.
 */
public final class ClipTokenizer {

	public static final int BOS = 49406;
	public static final int EOS = 49407;
	public static final int PAD = 49407;
	public static final int MAX_LENGTH = 77;

	/** CLIP's token pattern; text is already lower-cased, so case-insensitivity is moot. */
	private static final Pattern TOKEN = Pattern.compile(
		"<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
		Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);
	private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

	private final Map<String, Integer> encoder;
	private final Map<String, Integer> ranks;
	private final String[] byteToUnicode = byteToUnicode();
	private final Map<String, String> cache = new ConcurrentHashMap<>();

	private ClipTokenizer(Map<String, Integer> encoder, Map<String, Integer> ranks) {
		this.encoder = encoder;
		this.ranks = ranks;
		cache.put("<|startoftext|>", "<|startoftext|>");
		cache.put("<|endoftext|>", "<|endoftext|>");
	}

	/**
	 * Loads the merges from a file or folder: a {@code .gz} CLIP vocabulary, or a folder (or either file) of
	 * the {@code vocab.json} + {@code merges.txt} pair.
	 */
	public static ClipTokenizer load(Path path) {
		if (Files.isDirectory(path)) {
			Path gz = path.resolve("bpe_simple_vocab_16e6.txt.gz");
			if (Files.exists(gz)) return fromBpeGz(gz);
			return fromVocabAndMerges(path.resolve("vocab.json"), path.resolve("merges.txt"));
		}
		String n = path.getFileName().toString();
		if (n.endsWith(".gz")) return fromBpeGz(path);
		if (n.equals("vocab.json") || n.equals("merges.txt"))
			return fromVocabAndMerges(path.resolveSibling("vocab.json"), path.resolveSibling("merges.txt"));
		throw new RerenderException("Unrecognised CLIP tokenizer file " + path
			+ " (expected bpe_simple_vocab_16e6.txt.gz, or a folder with vocab.json and merges.txt)");
	}

	/** CLIP's own form: merges only, first line a header; vocabulary = bytes, bytes+{@code </w>}, merges, specials. */
	public static ClipTokenizer fromBpeGz(Path gz) {
		List<String> lines;
		try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
			lines = readLines(in);
		}
		catch (NoSuchFileException e) {
			throw new RerenderException("CLIP vocabulary not found: " + gz);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the CLIP vocabulary " + gz + ": " + e.getMessage(), e);
		}
		int count = 49152 - 256 - 2; // as CLIP: merges[1 : 49152-256-2+1]
		if (lines.size() < count + 1) throw new RerenderException("CLIP vocabulary " + gz + " is truncated");
		List<String> merges = lines.subList(1, count + 1);
		List<String> vocab = new ArrayList<>();
		String[] b2u = byteToUnicode();
		for (int b : byteOrder()) vocab.add(b2u[b]);
		for (int i = 0; i < 256; i++) vocab.add(vocab.get(i) + "</w>");
		for (String m : merges) vocab.add(m.replace(" ", ""));
		vocab.add("<|startoftext|>");
		vocab.add("<|endoftext|>");
		Map<String, Integer> enc = new HashMap<>();
		for (int i = 0; i < vocab.size(); i++) enc.put(vocab.get(i), i);
		return new ClipTokenizer(enc, ranksOf(merges));
	}

	/** The Hugging Face form: {@code vocab.json} (token → id) and {@code merges.txt} ({@code #version} header). */
	public static ClipTokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) {
		try {
			JsonObject o = JsonParser.parseString(Files.readString(vocabJson, StandardCharsets.UTF_8)).getAsJsonObject();
			Map<String, Integer> enc = new HashMap<>();
			for (Map.Entry<String, JsonElement> e : o.entrySet()) enc.put(e.getKey(), e.getValue().getAsInt());
			List<String> merges = new ArrayList<>();
			try (InputStream in = Files.newInputStream(mergesTxt)) {
				for (String l : readLines(in)) if (!l.startsWith("#version") && !l.isBlank()) merges.add(l);
			}
			if (!enc.containsKey("<|endoftext|>")) throw new RerenderException(vocabJson + " is not a CLIP vocabulary");
			return new ClipTokenizer(enc, ranksOf(merges));
		}
		catch (NoSuchFileException e) {
			throw new RerenderException("CLIP tokenizer file not found: " + e.getFile());
		}
		catch (IOException | RuntimeException e) {
			if (e instanceof RerenderException r) throw r;
			throw new RerenderException("Cannot read the CLIP tokenizer " + vocabJson + " / " + mergesTxt + ": "
				+ e.getMessage(), e);
		}
	}

	private static List<String> readLines(InputStream in) throws IOException {
		List<String> lines = new ArrayList<>();
		try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
			for (String l; (l = r.readLine()) != null;) lines.add(l);
		}
		return lines;
	}

	private static Map<String, Integer> ranksOf(List<String> merges) {
		Map<String, Integer> r = new HashMap<>();
		for (int i = 0; i < merges.size(); i++) r.putIfAbsent(merges.get(i), i);
		return r;
	}

	/** Bytes in CLIP's order: printable ranges first, then the rest in ascending order. */
	private static int[] byteOrder() {
		int[] order = new int[256];
		boolean[] printable = new boolean[256];
		int n = 0;
		for (int b = '!'; b <= '~'; b++) printable[b] = true;
		for (int b = 0xa1; b <= 0xac; b++) printable[b] = true;
		for (int b = 0xae; b <= 0xff; b++) printable[b] = true;
		for (int b = 0; b < 256; b++) if (printable[b]) order[n++] = b;
		for (int b = 0; b < 256; b++) if (!printable[b]) order[n++] = b;
		return order;
	}

	/** CLIP's reversible byte → printable character table. */
	private static String[] byteToUnicode() {
		String[] t = new String[256];
		int extra = 0;
		for (int b = 0; b < 256; b++) {
			boolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
			t[b] = new String(Character.toChars(printable ? b : 256 + extra++));
		}
		return t;
	}

	/** The text cleanup applied before tokenising. */
	public static String clean(String text) {
		String t = HtmlEntities.unescape(HtmlEntities.unescape(Normalizer.normalize(text, Normalizer.Form.NFC))).strip();
		return SPACES.matcher(t).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
	}

	/** The BPE ids of a text, without framing or truncation. */
	public int[] bpeIds(String text) {
		List<Integer> ids = new ArrayList<>();
		Matcher m = TOKEN.matcher(clean(text));
		while (m.find()) {
			StringBuilder sb = new StringBuilder();
			for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) sb.append(byteToUnicode[b & 0xff]);
			for (String piece : bpe(sb.toString()).split(" ")) {
				Integer id = encoder.get(piece);
				if (id == null) throw new RerenderException("BPE piece '" + piece + "' is not in the CLIP vocabulary");
				ids.add(id);
			}
		}
		return ids.stream().mapToInt(Integer::intValue).toArray();
	}

	/** SD framing: BOS, at most 75 BPE ids, EOS, then EOS padding to 77. */
	public int[] encode(String text) {
		int[] bpe = bpeIds(text);
		int[] out = new int[MAX_LENGTH];
		Arrays.fill(out, PAD);
		out[0] = BOS;
		int n = Math.min(bpe.length, MAX_LENGTH - 2);
		System.arraycopy(bpe, 0, out, 1, n);
		out[n + 1] = EOS;
		return out;
	}

	/** True when the prompt has more than 75 BPE tokens and {@link #encode} cuts it. */
	public boolean isTruncated(String text) {
		return bpeIds(text).length > MAX_LENGTH - 2;
	}

	private String bpe(String token) {
		String cached = cache.get(token);
		if (cached != null) return cached;
		List<String> word = new ArrayList<>();
		int[] cps = token.codePoints().toArray();
		for (int i = 0; i < cps.length; i++) {
			String s = new String(cps, i, 1);
			word.add(i == cps.length - 1 ? s + "</w>" : s);
		}
		while (word.size() > 1) {
			int best = Integer.MAX_VALUE;
			String bf = null, bs = null;
			for (int i = 0; i + 1 < word.size(); i++) {
				Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
				if (r != null && r < best) {
					best = r;
					bf = word.get(i);
					bs = word.get(i + 1);
				}
			}
			if (bf == null) break;
			List<String> next = new ArrayList<>(word.size());
			for (int i = 0; i < word.size();) {
				if (i + 1 < word.size() && word.get(i).equals(bf) && word.get(i + 1).equals(bs)) {
					next.add(bf + bs);
					i += 2;
				}
				else next.add(word.get(i++));
			}
			word = next;
		}
		String r = String.join(" ", word);
		if (cache.size() < 100_000) cache.put(token, r);
		return r;
	}
}
