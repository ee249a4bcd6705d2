/*
 * Link-time stand-in for libpthread.so.0, used only while linking libRerenderSynth.so (never shipped or loaded).
 *
 * glibc 2.34 moved pthread_create/pthread_join into libc.so.6 with a new default version GLIBC_2.34; linking against
 * this machine's libc would make the library refuse to load on older glibc. Linked against this stub (listed before
 * libc), the references are bound as a build on an old glibc binds them: pthread_create@GLIBC_2.2.5 from
 * libpthread.so.0. At run time an old glibc resolves them in its libpthread.so.0; glibc >= 2.34 still ships a
 * libpthread.so.0 defining version GLIBC_2.2.5 and keeps these versions of both functions in libc.so.6 (for the
 * binaries built before 2.34), where the loader finds them.
 * The bodies are never run; only the names and versions matter (link/pthread_stub.map).
 */
void pthread_create(void) {}
void pthread_join(void) {}
