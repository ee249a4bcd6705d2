package org.rerender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class FileNamesTest {
	@Test
	void stemDropsTheLastExtensionOnly() {
		assertEquals("clip", FileNames.stem(Path.of("dir.d", "clip.mp4")));
		assertEquals("clip 1.final", FileNames.stem(Path.of("clip 1.final.mp4")));
		assertEquals("résumé", FileNames.stem(Path.of("/tmp/résumé.png")));
		assertEquals("noext", FileNames.stem(Path.of("a.b", "noext")));
		assertEquals(".hidden", FileNames.stem(Path.of(".hidden")), "a leading dot is the name, not an extension");
	}

	@Test
	void stemOfNameCutsAtTheLastDotFromTheNameAlone() {
		assertEquals("0001", FileNames.stemOfName("0001.png"));
		assertEquals("a.b", FileNames.stemOfName("a.b.png"));
		assertEquals("noext", FileNames.stemOfName("noext"));
		assertEquals(".hidden", FileNames.stemOfName(".hidden"), "a leading dot is the name, not an extension");
		assertEquals("shots.v2", FileNames.stemOfName("shots.v2.mp4"));
		assertEquals("shots", FileNames.stemOfName("shots.v2"), "no file-system look-up: a folder's name is cut too");
	}

	@Test
	void foldersKeepTheirWholeNameAndDotsNameTheFolderTheyStandFor(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
		Path shots = java.nio.file.Files.createDirectories(tmp.resolve("shots.v2"));
		assertEquals("shots.v2", FileNames.stem(shots), "a folder's name has no extension");
		Path cwd = Path.of("").toAbsolutePath();
		assertEquals(cwd.getFileName().toString(), FileNames.stem(Path.of(".")), "--input . is the current folder");
		assertEquals(cwd.getParent().getFileName().toString(), FileNames.stem(Path.of("..")));
		assertEquals("shots.v2", FileNames.stem(shots.resolve("sub/..")));
		assertEquals(FileNames.ROOT_STEM, FileNames.stem(cwd.getRoot()), "a root has no name");
	}
}
