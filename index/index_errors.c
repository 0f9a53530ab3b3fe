/* Error messages of the index: SQLite result codes are mapped to what they
 * mean for a user (disk full, read-only, damaged file, busy), so the CLI can
 * print the message as it is. */
#include "index_internal.h"
#include <stdarg.h>
#include <stdio.h>

int index_fail(char *err, int err_len, const char *fmt, ...) {
    if (err && err_len > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, (size_t)err_len, fmt, args);
        va_end(args);
    }
    return -1;
}

/* The words in front of SQLite's own message, chosen by the primary code. */
static const char *kind_of(int rc) {
    switch (rc & 0xff) {
    case SQLITE_FULL: return "disk full";
    case SQLITE_READONLY: return "index is read-only";
    case SQLITE_CORRUPT: return "index file is damaged";
    case SQLITE_NOTADB: return "not an s2s index (not an SQLite database)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "index is busy (another process holds a lock)";
    case SQLITE_CANTOPEN: return "cannot open index";
    case SQLITE_IOERR: return "I/O error on index";
    case SQLITE_PERM:
    case SQLITE_AUTH: return "permission denied on index";
    case SQLITE_NOMEM: return "out of memory";
    case SQLITE_CONSTRAINT: return "index constraint failed";
    default: return "index error";
    }
}

int index_fail_sqlite(sqlite3 *db, int rc, const char *what, char *err, int err_len) {
    const char *detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return index_fail(err, err_len, "%s: %s: %s", kind_of(rc), what, detail);
}
