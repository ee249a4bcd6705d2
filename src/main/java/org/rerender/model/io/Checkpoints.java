package org.rerender.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.rerender.engine.RerenderException;

/**
 * Opens a weights file of any supported format, chosen by content rather than by file name:
 * safetensors (8-byte header length + JSON), or a PyTorch zip checkpoint ({@code .ckpt}/{@code .pth},
 * unwrapped to its {@code state_dict}/{@code model} dictionary). Legacy (pre-1.6, non-zip) PyTorch
 * pickles are refused with advice to re-save.
 */
public final class Checkpoints {

	/** Formats {@link #detect} can tell apart. */
	public enum Format { SAFETENSORS, TORCH_ZIP, TORCH_LEGACY, UNKNOWN }

	private Checkpoints() {}

	/** Opens the file; the returned source owns it (close it when done). */
	public static TensorSource open(Path path) {
		return switch (detect(path)) {
			case SAFETENSORS -> SafetensorsFile.open(path);
			case TORCH_ZIP -> TorchCheckpoint.open(path).stateDict();
			case TORCH_LEGACY -> throw new RerenderException(path.getFileName() + " is a legacy PyTorch file (saved before "
				+ "PyTorch 1.6, not a zip archive), which is not supported. Re-save it with a current PyTorch "
				+ "(torch.save(torch.load(f), f2)) or convert it to .safetensors.");
			case UNKNOWN -> throw new RerenderException(path.getFileName() + " is neither a .safetensors file nor a PyTorch "
				+ ".ckpt/.pth checkpoint (unrecognised content; damaged or wrong file?)");
		};
	}

	/** Looks at the first bytes of the file. */
	public static Format detect(Path path) {
		if (!Files.exists(path)) throw new RerenderException("File not found: " + path);
		if (Files.isDirectory(path))
			throw new RerenderException(path + " is a folder; expected a .safetensors, .ckpt or .pth file");
		try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
			long size = ch.size();
			if (size == 0) throw new RerenderException(path.getFileName() + " is empty (interrupted download?)");
			ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 16)).order(ByteOrder.LITTLE_ENDIAN);
			while (head.hasRemaining() && ch.read(head) >= 0) {
				// fill
			}
			head.flip();
			int n = head.limit();
			if (n >= 4 && head.get(0) == 'P' && head.get(1) == 'K' && (head.get(2) == 3 || head.get(2) == 5))
				return Format.TORCH_ZIP;
			if (n >= 9) {
				long headerLen = head.getLong(0);
				if (headerLen > 1 && head.get(8) == '{') {
					if (headerLen + 8 > size)
						throw new RerenderException(path.getFileName() + " is a truncated safetensors file (header of "
							+ headerLen + " bytes, file of " + size + ")");
					return Format.SAFETENSORS;
				}
			}
			// pre-1.6 torch.save: a bare pickle (PROTO opcode) starting with the legacy magic number
			if (n >= 2 && (head.get(0) & 0xff) == 0x80 && (head.get(1) & 0xff) <= 5) return Format.TORCH_LEGACY;
			return Format.UNKNOWN;
		}
		catch (NoSuchFileException e) {
			throw new RerenderException("File not found: " + path);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read " + path + ": " + e.getMessage(), e);
		}
	}
}
