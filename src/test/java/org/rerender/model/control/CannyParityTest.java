package org.rerender.model.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.testing.Fixtures;

/** Canny hints of the rerender reference set ({@code in.hint.frame1/2} from {@code in.frame1/2}). */
class CannyParityTest {

	@Test
	void hintsOfTheRerenderSet() {
		try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("rerender/rerender-main.safetensors"))) {
			JsonArray canny = JsonParser.parseString(ref.metadata().get("settings")).getAsJsonObject().getAsJsonArray("canny");
			double low = canny.get(0).getAsDouble(), high = canny.get(1).getAsDouble();
			for (String f : new String[] {"frame1", "frame2"}) {
				long[] s = ref.info("in." + f).shape(); // H, W, 3
				Rgb8Image img = new Rgb8Image((int) s[1], (int) s[0], ref.bytes("in." + f));
				ControlMap map = CannyControl.detect(img, low, high);
				float[] expected = ref.floats("in.hint." + f); // [1, 3, H, W]
				assertArrayEquals(new long[] {1, 3, s[0], s[1]}, ref.info("in.hint." + f).shape());
				int plane = (int) (s[0] * s[1]), edges = 0;
				for (int i = 0; i < plane; i++) {
					float v = (map.data()[i] & 0xff) / 255f;
					for (int c = 0; c < 3; c++) assertEquals(expected[c * plane + i], v, 0f, f + " pixel " + i + " channel " + c);
					if (v > 0) edges++;
				}
				assertNotEquals(0, edges, "the test frame has edges");
				System.out.printf("canny %s: %d edge pixels of %d%n", f, edges, plane);
			}
		}
	}
}
