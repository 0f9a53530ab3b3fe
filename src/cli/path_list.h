/* A growable list of owned strings (file paths), always NULL-terminated so
 * that it can be passed where a NULL-terminated or counted array of paths is
 * expected. The one list type of the CLI: argument lists read from files,
 * the recordings of an index, the recordings a search names. */
#ifndef S2S_PATH_LIST_H
#define S2S_PATH_LIST_H

typedef struct {
    char **paths; /* num strings, then NULL; NULL until the first add */
    int num, capacity;
} path_list;

/* Appends a copy of path. Returns the copy (owned by the list), or NULL out
 * of memory, the list unchanged. */
const char *path_list_add(path_list *l, const char *path);

/* Appends each non-empty line of file ("-": stdin), line end removed.
 * Returns 0, or -1 when the file cannot be opened or read or memory runs
 * out (errno says which; the lines read so far stay in the list). */
int path_list_read(path_list *l, const char *file);

/* Frees the strings and the array and empties the list. */
void path_list_free(path_list *l);
#endif
