package org.rerender.model.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal, safe interpreter for the pickles inside PyTorch checkpoints ({@code data.pkl}).
 *
 * <p>It builds only inert Java values: {@code null}, {@link Boolean}, {@link Long}/{@link BigInteger},
 * {@link Double}, {@link String}, {@code byte[]}, {@link Tuple}, {@link List}, {@link Map}, plus
 * {@link StorageRef} (a persistent-id storage) and {@link TensorRef} (a strided view of one).
 * It never loads a class, calls a method or instantiates anything named in the file. A global
 * ({@code GLOBAL}/{@code STACK_GLOBAL}) must be on a short whitelist of tensor-rebuild functions,
 * storage types and {@code collections.OrderedDict}; each whitelisted callable is emulated in Java.
 * Anything else (e.g. {@code os.system}, {@code builtins.eval}, an unknown class's {@code __reduce__})
 * is refused with an error naming the global, as are the object-building opcodes
 * ({@code INST, OBJ, NEWOBJ, NEWOBJ_EX}, extension registry, out-of-band buffers).
 */
final class SafeUnpickler {

	/** A Python tuple (immutable list; usable as a dict key). */
	record Tuple(List<Object> items) {
		Object get(int i) {
			return items.get(i);
		}

		int size() {
			return items.size();
		}
	}

	/** A whitelisted global, kept as a name; it is only ever interpreted, never resolved. */
	record Global(String module, String name) {
		String qualified() {
			return module + "." + name;
		}
	}

	/** A storage referenced by persistent id: archive record {@code data/<key>}, element type, element count. */
	record StorageRef(String key, TensorDType dtype, long numel) {}

	/** A tensor: a strided view of a storage (offsets and strides in elements). */
	record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {}

	private static final Object MARK = new Object() {
		@Override
		public String toString() {
			return "MARK";
		}
	};

	private static final Map<String, TensorDType> STORAGE_TYPES = Map.ofEntries(
		Map.entry("torch.FloatStorage", TensorDType.F32), Map.entry("torch.HalfStorage", TensorDType.F16),
		Map.entry("torch.BFloat16Storage", TensorDType.BF16), Map.entry("torch.DoubleStorage", TensorDType.F64),
		Map.entry("torch.LongStorage", TensorDType.I64), Map.entry("torch.IntStorage", TensorDType.I32),
		Map.entry("torch.ShortStorage", TensorDType.I16), Map.entry("torch.CharStorage", TensorDType.I8),
		Map.entry("torch.ByteStorage", TensorDType.U8), Map.entry("torch.BoolStorage", TensorDType.BOOL),
		Map.entry("torch.UntypedStorage", TensorDType.U8),
		// dtype objects, as newer torch versions may write them in place of a storage class
		Map.entry("torch.float32", TensorDType.F32), Map.entry("torch.float16", TensorDType.F16),
		Map.entry("torch.bfloat16", TensorDType.BF16), Map.entry("torch.float64", TensorDType.F64),
		Map.entry("torch.int64", TensorDType.I64), Map.entry("torch.int32", TensorDType.I32),
		Map.entry("torch.int16", TensorDType.I16), Map.entry("torch.int8", TensorDType.I8),
		Map.entry("torch.uint8", TensorDType.U8), Map.entry("torch.bool", TensorDType.BOOL));

	private static final Set<String> CALLABLES = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
		"torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"torch._tensor._rebuild_from_type_v2", "torch.Size", "_codecs.encode");

	/** Type objects that may appear as arguments (never called). */
	private static final Set<String> TYPES = Set.of("torch.Tensor", "torch.nn.parameter.Parameter");

	private final ByteBuffer in;
	private final ArrayList<Object> stack = new ArrayList<>();
	private final ArrayList<Integer> marks = new ArrayList<>();
	private final Map<Long, Object> memo = new HashMap<>();

	private SafeUnpickler(byte[] data) {
		this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
	}

	/** Interprets a pickle; throws {@link PickleRefusedException} for anything outside the safe subset. */
	static Object load(byte[] data) {
		try {
			return new SafeUnpickler(data).run();
		}
		catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
			throw new PickleRefusedException("the pickle is truncated or malformed");
		}
		catch (StackOverflowError | NumberFormatException e) {
			throw new PickleRefusedException("the pickle is malformed (" + e.getClass().getSimpleName() + ")");
		}
	}

	/** The reason a pickle was not loaded. */
	static final class PickleRefusedException extends RuntimeException {
		private static final long serialVersionUID = 1L;

		PickleRefusedException(String message) {
			super(message);
		}
	}

	private static PickleRefusedException refuse(String why) {
		return new PickleRefusedException(why);
	}

	private Object run() {
		while (true) {
			int op = in.get() & 0xff;
			switch (op) {
				case 0x80 -> { // PROTO
					int p = in.get() & 0xff;
					if (p > 5) throw refuse("unsupported pickle protocol " + p);
				}
				case 0x95 -> in.getLong(); // FRAME: length hint only
				case 0x2e -> { // STOP
					if (stack.size() != 1 || !marks.isEmpty()) throw refuse("malformed pickle (stack not empty at STOP)");
					return stack.get(0);
				}
				case 0x28 -> marks.add(stack.size()); // MARK
				case 0x30 -> pop(); // POP
				case 0x31 -> popMark(); // POP_MARK
				case 0x32 -> push(peek()); // DUP
				case 0x4e -> push(null); // NONE
				case 0x88 -> push(Boolean.TRUE);
				case 0x89 -> push(Boolean.FALSE);
				case 0x4a -> push((long) in.getInt()); // BININT
				case 0x4b -> push((long) (in.get() & 0xff)); // BININT1
				case 0x4d -> push((long) (in.getShort() & 0xffff)); // BININT2
				case 0x49 -> push(parseIntLine(line())); // INT
				case 0x4c -> push(parseLongLine(line())); // LONG
				case 0x8a -> push(longBytes(in.get() & 0xff)); // LONG1
				case 0x8b -> push(longBytes(length(in.getInt() & 0xffffffffL))); // LONG4
				case 0x47 -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT (big-endian)
				case 0x46 -> push(Double.parseDouble(line())); // FLOAT
				case 0x58 -> push(utf8(length(in.getInt() & 0xffffffffL))); // BINUNICODE
				case 0x8c -> push(utf8(in.get() & 0xff)); // SHORT_BINUNICODE
				case 0x8d -> push(utf8(length(in.getLong()))); // BINUNICODE8
				case 0x54 -> push(latin1(length(in.getInt() & 0xffffffffL))); // BINSTRING
				case 0x55 -> push(latin1(in.get() & 0xff)); // SHORT_BINSTRING
				case 0x42 -> push(bytes(length(in.getInt() & 0xffffffffL))); // BINBYTES
				case 0x43 -> push(bytes(in.get() & 0xff)); // SHORT_BINBYTES
				case 0x8e -> push(bytes(length(in.getLong()))); // BINBYTES8
				case 0x29 -> push(new Tuple(List.of())); // EMPTY_TUPLE
				case 0x74 -> push(tupleOf(popMark())); // TUPLE
				case 0x85 -> push(tupleOf(popN(1)));
				case 0x86 -> push(tupleOf(popN(2)));
				case 0x87 -> push(tupleOf(popN(3)));
				case 0x5d -> push(new ArrayList<>()); // EMPTY_LIST
				case 0x6c -> push(new ArrayList<>(popMark())); // LIST
				case 0x61 -> { // APPEND
					Object v = pop();
					asList(peek()).add(v);
				}
				case 0x65 -> { // APPENDS
					List<Object> items = popMark();
					asList(peek()).addAll(items);
				}
				case 0x7d -> push(new LinkedHashMap<>()); // EMPTY_DICT
				case 0x64 -> { // DICT
					List<Object> items = popMark();
					Map<Object, Object> d = new LinkedHashMap<>();
					putPairs(d, items);
					push(d);
				}
				case 0x73 -> { // SETITEM
					Object v = pop(), k = pop();
					asMap(peek()).put(key(k), v);
				}
				case 0x75 -> { // SETITEMS
					List<Object> items = popMark();
					putPairs(asMap(peek()), items);
				}
				case 0x67 -> push(memoGet(Long.parseLong(line().trim()))); // GET
				case 0x68 -> push(memoGet(in.get() & 0xff)); // BINGET
				case 0x6a -> push(memoGet(in.getInt() & 0xffffffffL)); // LONG_BINGET
				case 0x70 -> memo.put(Long.parseLong(line().trim()), peek()); // PUT
				case 0x71 -> memo.put((long) (in.get() & 0xff), peek()); // BINPUT
				case 0x72 -> memo.put(in.getInt() & 0xffffffffL, peek()); // LONG_BINPUT
				case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
				case 0x63 -> { // GLOBAL
					String module = line(), name = line();
					push(global(module, name));
				}
				case 0x93 -> { // STACK_GLOBAL
					Object name = pop(), module = pop();
					if (!(module instanceof String m) || !(name instanceof String n)) throw refuse("malformed STACK_GLOBAL");
					push(global(m, n));
				}
				case 0x52 -> { // REDUCE
					Object args = pop(), fn = pop();
					push(reduce(fn, args));
				}
				case 0x62 -> { // BUILD
					Object state = pop();
					build(peek(), state);
				}
				case 0x51 -> push(persistentLoad(pop())); // BINPERSID
				case 0x50 -> throw refuse("text persistent ids (PERSID) are not used by PyTorch; refusing");
				case 0x69, 0x6f, 0x81, 0x92 -> throw refuse("object-building opcode 0x" + Integer.toHexString(op)
					+ " (INST/OBJ/NEWOBJ) is not allowed");
				case 0x82, 0x83, 0x84 -> throw refuse("extension-registry opcodes (EXT1/2/4) are not allowed");
				default -> throw refuse("unsupported pickle opcode 0x" + Integer.toHexString(op));
			}
		}
	}

	private Object global(String module, String name) {
		String q = module + "." + name;
		if (CALLABLES.contains(q) || STORAGE_TYPES.containsKey(q) || TYPES.contains(q)) return new Global(module, name);
		throw refuse("the pickle references the global '" + q + "', which is not allowed in a weights file"
			+ " (only tensors and dictionaries are read; nothing in the file is executed)");
	}

	private Object reduce(Object fn, Object argsObj) {
		if (!(fn instanceof Global g)) throw refuse("REDUCE applied to a non-callable (" + describe(fn) + ")");
		if (!(argsObj instanceof Tuple args)) throw refuse("REDUCE arguments are not a tuple");
		String q = g.qualified();
		switch (q) {
			case "collections.OrderedDict": {
				Map<Object, Object> d = new LinkedHashMap<>();
				if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
					for (Object p : pairs) {
						if (!(p instanceof Tuple t) || t.size() != 2) throw refuse("OrderedDict argument is not a list of pairs");
						d.put(key(t.get(0)), t.get(1));
					}
				}
				else if (args.size() != 0) throw refuse("unexpected OrderedDict arguments");
				return d;
			}
			case "torch._utils._rebuild_tensor_v2":
			case "torch._utils._rebuild_tensor": {
				if (args.size() < 4) throw refuse(q + " with " + args.size() + " arguments");
				if (!(args.get(0) instanceof StorageRef s)) throw refuse(q + ": first argument is not a storage");
				long offset = toLong(args.get(1), "storage offset");
				long[] shape = longs(args.get(2), "size");
				long[] stride = longs(args.get(3), "stride");
				if (shape.length != stride.length) throw refuse(q + ": size and stride differ in length");
				return new TensorRef(s, offset, shape, stride);
			}
			case "torch._utils._rebuild_parameter":
			case "torch._utils._rebuild_parameter_with_state": {
				if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) throw refuse(q + ": argument is not a tensor");
				return t;
			}
			case "torch._tensor._rebuild_from_type_v2": {
				if (args.size() < 3) throw refuse(q + " with " + args.size() + " arguments");
				if (!(args.get(1) instanceof Global type) || !TYPES.contains(type.qualified()))
					throw refuse(q + ": tensor subclass " + describe(args.get(1)) + " is not allowed");
				if (!(args.get(2) instanceof Tuple inner)) throw refuse(q + ": arguments are not a tuple");
				if (!(args.get(0) instanceof Global f) || !f.qualified().startsWith("torch._utils._rebuild_"))
					throw refuse(q + ": inner function " + describe(args.get(0)) + " is not allowed");
				return reduce(f, inner);
			}
			case "torch.Size":
				if (args.size() != 1 || !(args.get(0) instanceof Tuple t)) throw refuse("torch.Size argument is not a tuple");
				return t;
			case "_codecs.encode": {
				if (args.size() != 2 || !(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc))
					throw refuse("unexpected _codecs.encode arguments");
				if (!enc.equalsIgnoreCase("latin1") && !enc.equalsIgnoreCase("latin-1"))
					throw refuse("_codecs.encode with encoding '" + enc + "'");
				return s.getBytes(StandardCharsets.ISO_8859_1);
			}
			default:
				throw refuse("the pickle calls '" + q + "', which is not allowed");
		}
	}

	private void build(Object target, Object state) {
		// OrderedDict state dicts carry a '_metadata' attribute (module versions) and parameters may carry
		// a state dict: attributes are irrelevant for weights and are dropped, never applied.
		if ((target instanceof Map || target instanceof TensorRef) && (state == null || state instanceof Map
			|| state instanceof Tuple)) return;
		throw refuse("BUILD on " + describe(target) + " is not allowed");
	}

	private Object persistentLoad(Object pid) {
		if (!(pid instanceof Tuple t) || t.size() < 5 || !"storage".equals(t.get(0)))
			throw refuse("unknown persistent id " + describe(pid));
		if (!(t.get(1) instanceof Global g) || !STORAGE_TYPES.containsKey(g.qualified()))
			throw refuse("persistent id with storage type " + describe(t.get(1)));
		if (!(t.get(2) instanceof String key)) throw refuse("persistent id with a non-string key");
		long numel = toLong(t.get(4), "storage size");
		return new StorageRef(key, STORAGE_TYPES.get(g.qualified()), numel);
	}

	// ---- helpers

	private static void putPairs(Map<Object, Object> d, List<Object> items) {
		if (items.size() % 2 != 0) throw refuse("odd number of items for a dict");
		for (int i = 0; i < items.size(); i += 2) d.put(key(items.get(i)), items.get(i + 1));
	}

	/** Dict keys must be immutable scalars or flat tuples of them (no containers that could be cyclic). */
	private static Object key(Object k) {
		if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Boolean
			|| k instanceof Double) return k;
		if (k instanceof Tuple t) {
			for (Object o : t.items()) {
				if (!(o == null || o instanceof String || o instanceof Long || o instanceof BigInteger || o instanceof Boolean
					|| o instanceof Double)) throw refuse("unsupported dict key (a tuple holding " + describe(o) + ")");
			}
			return k;
		}
		throw refuse("unsupported dict key " + describe(k));
	}

	@SuppressWarnings("unchecked")
	private static List<Object> asList(Object o) {
		if (o instanceof ArrayList<?> l) return (List<Object>) l;
		throw refuse("APPEND to " + describe(o));
	}

	@SuppressWarnings("unchecked")
	private static Map<Object, Object> asMap(Object o) {
		if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
		throw refuse("SETITEM on " + describe(o));
	}

	private static Tuple tupleOf(List<Object> items) {
		return new Tuple(java.util.Collections.unmodifiableList(new ArrayList<>(items)));
	}

	private static long toLong(Object o, String what) {
		if (o instanceof Long l) return l;
		throw refuse(what + " is not an integer (" + describe(o) + ")");
	}

	private static long[] longs(Object o, String what) {
		if (!(o instanceof Tuple t)) throw refuse(what + " is not a tuple");
		long[] r = new long[t.size()];
		for (int i = 0; i < r.length; i++) {
			r[i] = toLong(t.get(i), what);
			if (r[i] < 0) throw refuse(what + " has a negative entry");
		}
		return r;
	}

	static String describe(Object o) {
		if (o == null) return "None";
		if (o instanceof Global g) return "global " + g.qualified();
		if (o instanceof String s) return "'" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
		return o.getClass().getSimpleName();
	}

	private void push(Object o) {
		stack.add(o);
	}

	private Object pop() {
		if (stack.isEmpty() || (!marks.isEmpty() && marks.get(marks.size() - 1) == stack.size()))
			throw refuse("malformed pickle (stack underflow)");
		return stack.remove(stack.size() - 1);
	}

	private Object peek() {
		if (stack.isEmpty()) throw refuse("malformed pickle (empty stack)");
		return stack.get(stack.size() - 1);
	}

	private List<Object> popN(int n) {
		List<Object> r = new ArrayList<>(n);
		for (int i = 0; i < n; i++) r.add(0, pop());
		return r;
	}

	private List<Object> popMark() {
		if (marks.isEmpty()) throw refuse("malformed pickle (no MARK)");
		int m = marks.remove(marks.size() - 1);
		List<Object> sub = new ArrayList<>(stack.subList(m, stack.size()));
		stack.subList(m, stack.size()).clear();
		return sub;
	}

	private Object memoGet(long key) {
		if (!memo.containsKey(key)) throw refuse("malformed pickle (memo key " + key + " missing)");
		return memo.get(key);
	}

	private int length(long n) {
		if (n < 0 || n > in.remaining()) throw refuse("the pickle is truncated (a string runs past its end)");
		return (int) n;
	}

	private byte[] bytes(int n) {
		byte[] b = new byte[length(n)];
		in.get(b);
		return b;
	}

	private String utf8(int n) {
		return new String(bytes(n), StandardCharsets.UTF_8);
	}

	private String latin1(int n) {
		return new String(bytes(n), StandardCharsets.ISO_8859_1);
	}

	private String line() {
		StringBuilder sb = new StringBuilder();
		while (true) {
			byte b = in.get();
			if (b == '\n') return sb.toString();
			sb.append((char) (b & 0xff));
			if (sb.length() > 4096) throw refuse("malformed pickle (overlong text line)");
		}
	}

	private static Object parseIntLine(String s) {
		if (s.equals("00")) return Boolean.FALSE;
		if (s.equals("01")) return Boolean.TRUE;
		return narrow(new BigInteger(s.trim()));
	}

	private static Object parseLongLine(String s) {
		String t = s.trim();
		if (t.endsWith("L")) t = t.substring(0, t.length() - 1);
		return narrow(new BigInteger(t));
	}

	private Object longBytes(int n) {
		byte[] le = bytes(n);
		if (n == 0) return 0L;
		byte[] be = new byte[n];
		for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
		return narrow(new BigInteger(be));
	}

	private static Object narrow(BigInteger v) {
		return v.bitLength() < 64 ? (Object) v.longValue() : v;
	}
}
