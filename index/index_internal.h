/* Helpers shared by the index's own files (not part of its public API):
 * error messages, and the SQLite failure codes turned into words a user can
 * act on. */
#ifndef S2S_INDEX_INTERNAL_H
#define S2S_INDEX_INTERNAL_H
#include <sqlite3.h>

/* printf into err (when err is not NULL); always returns -1 so callers can
 * write `return index_fail(...)`. */
int index_fail(char *err, int err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Describes a failed SQLite call: "<kind>: <what>: <sqlite message>", where
 * kind says what the user can do ("disk full", "index is read-only", ...).
 * Returns -1. */
int index_fail_sqlite(sqlite3 *db, int rc, const char *what, char *err, int err_len);

#endif
