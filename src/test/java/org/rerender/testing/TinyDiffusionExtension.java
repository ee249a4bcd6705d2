package org.rerender.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Loads the tiny fixture models once per test class into the class's static {@link TinyDiffusion} field and closes
 * them after its last test: {@code @ExtendWith(TinyDiffusionExtension.class)} with {@code static TinyDiffusion tiny;}
 * in place of a {@code @BeforeAll}/{@code @AfterAll} pair. The field may be declared in a superclass (a subclass run
 * loads its own copy). The models are loaded before the class's own {@code @BeforeAll} methods run.
 */
public final class TinyDiffusionExtension implements BeforeAllCallback, AfterAllCallback {
	private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TinyDiffusionExtension.class);

	@Override
	public void beforeAll(ExtensionContext context) throws Exception {
		Field field = field(context.getRequiredTestClass());
		TinyDiffusion tiny = new TinyDiffusion();
		context.getStore(NS).put(TinyDiffusion.class, tiny);
		field.set(null, tiny);
	}

	@Override
	public void afterAll(ExtensionContext context) throws Exception {
		field(context.getRequiredTestClass()).set(null, null);
		TinyDiffusion tiny = context.getStore(NS).remove(TinyDiffusion.class, TinyDiffusion.class);
		if (tiny != null) tiny.close();
	}

	private static Field field(Class<?> testClass) {
		for (Class<?> c = testClass; c != null; c = c.getSuperclass())
			for (Field f : c.getDeclaredFields())
				if (f.getType() == TinyDiffusion.class && Modifier.isStatic(f.getModifiers())) {
					f.setAccessible(true);
					return f;
				}
		throw new IllegalStateException(testClass.getName() + " has no static TinyDiffusion field for "
			+ TinyDiffusionExtension.class.getSimpleName() + " to fill");
	}
}
