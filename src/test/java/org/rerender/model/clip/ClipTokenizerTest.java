package org.rerender.model.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.testing.Fixtures;

class ClipTokenizerTest {

	static ClipTokenizer tok;

	@BeforeAll
	static void load() {
		tok = ClipTokenizer.load(Fixtures.file("bpe_simple_vocab_16e6.txt.gz"));
	}

	static int[] ints(JsonArray a) {
		int[] r = new int[a.size()];
		for (int i = 0; i < r.length; i++) r[i] = a.get(i).getAsInt();
		return r;
	}

	static void checkAllCases(ClipTokenizer t) throws IOException {
		JsonObject doc = JsonParser.parseString(Files.readString(Fixtures.file("clip-tokenizer-cases.json"))).getAsJsonObject();
		assertEquals(ClipTokenizer.BOS, doc.get("bos").getAsInt());
		assertEquals(ClipTokenizer.EOS, doc.get("eos").getAsInt());
		assertEquals(ClipTokenizer.PAD, doc.get("pad").getAsInt());
		assertEquals(ClipTokenizer.MAX_LENGTH, doc.get("max_length").getAsInt());
		int n = 0;
		for (JsonElement e : doc.getAsJsonArray("cases")) {
			JsonObject c = e.getAsJsonObject();
			String text = c.get("text").getAsString();
			assertArrayEquals(ints(c.getAsJsonArray("bpe_ids")), t.bpeIds(text), "bpe ids of " + text);
			assertArrayEquals(ints(c.getAsJsonArray("input_ids")), t.encode(text), "input ids of " + text);
			assertEquals(c.get("truncated").getAsBoolean(), t.isTruncated(text), "truncation of " + text);
			n++;
		}
		// every case was checked (11 in the shipped file; an alternate set may hold other cases)
		assertEquals(doc.getAsJsonArray("cases").size(), n);
		assertTrue(n > 0, "no tokenizer cases");
	}

	@Test
	void allFixtureCasesFromTheGzippedMerges() throws IOException {
		checkAllCases(tok);
	}

	@Test
	void referenceSetIds() {
		try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("tiny-reference.safetensors"))) {
			int[] ids = ref.ints("in.clip.input_ids");
			int t = (int) ref.info("in.clip.input_ids").shape()[1];
			JsonArray prompts = JsonParser.parseString(ref.metadata().get("prompts")).getAsJsonArray();
			for (int r = 0; r < prompts.size(); r++)
				assertArrayEquals(java.util.Arrays.copyOfRange(ids, r * t, (r + 1) * t), tok.encode(prompts.get(r).getAsString()));
		}
	}

	@Test
	void htmlEntitiesAndSpecialTokens() {
		assertEquals("a & b <c>", ClipTokenizer.clean("a &amp;amp; b &lt;c&#62;"));
		assertEquals("tiger", ClipTokenizer.clean("  TIGER\t\n"));
		assertArrayEquals(tok.bpeIds("fish & chips"), tok.bpeIds("fish &amp; chips"));
		assertArrayEquals(new int[] {ClipTokenizer.EOS}, tok.bpeIds("<|endoftext|>"));
	}

	/** Writes the Hugging Face form (vocab.json + merges.txt) from the gz and checks it gives the same ids. */
	@Test
	void vocabJsonAndMergesTxtForm(@TempDir Path tmp) throws IOException {
		List<String> lines = new ArrayList<>();
		try (InputStream in = new GZIPInputStream(Files.newInputStream(Fixtures.file("bpe_simple_vocab_16e6.txt.gz")))) {
			for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) lines.add(l);
		}
		List<String> merges = lines.subList(1, 49152 - 256 - 2 + 1);
		// vocabulary as CLIP builds it (independent reimplementation of the table in test code)
		List<String> vocab = new ArrayList<>();
		List<Integer> bs = new ArrayList<>();
		for (int b = '!'; b <= '~'; b++) bs.add(b);
		for (int b = 0xa1; b <= 0xac; b++) bs.add(b);
		for (int b = 0xae; b <= 0xff; b++) bs.add(b);
		List<Integer> cs = new ArrayList<>(bs);
		int extra = 0;
		for (int b = 0; b < 256; b++) if (!bs.contains(b)) {
			bs.add(b);
			cs.add(256 + extra++);
		}
		for (int c : cs) vocab.add(new String(Character.toChars(c)));
		for (int i = 0; i < 256; i++) vocab.add(vocab.get(i) + "</w>");
		for (String m : merges) vocab.add(m.replace(" ", ""));
		vocab.add("<|startoftext|>");
		vocab.add("<|endoftext|>");
		JsonObject v = new JsonObject();
		for (int i = 0; i < vocab.size(); i++) v.addProperty(vocab.get(i), i);
		Files.writeString(tmp.resolve("vocab.json"), v.toString(), StandardCharsets.UTF_8);
		Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n",
			StandardCharsets.UTF_8);
		checkAllCases(ClipTokenizer.load(tmp));
	}
}
