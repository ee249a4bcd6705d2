package org.rerender.model.unet;

import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.testing.ComposedOpsOnly;

/**
 * {@link UNetParityTest} again with the fused ops switched off ({@code rerender.torchext=false}): the composed DJL
 * path stays checked against the fixtures while the default run uses torchext wherever it is built.
 */
@ExtendWith(ComposedOpsOnly.class)
class UNetDjlPathParityTest extends UNetParityTest {}
