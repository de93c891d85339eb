// Reading /proc without allocating (opendir and stdio would): the numbers
// in a directory listing, and a small file into a caller's buffer.
#pragma once

// Calls visit(number, ctx) for each entry of dir whose name is a decimal
// number (/proc: pids; /proc/self/fd: descriptors). false if dir could not
// be opened.
bool ForEachNumberIn(const char* dir, void (*visit)(int number, void* ctx), void* ctx);

// Reads up to size-1 bytes of path into buf, NUL-terminated; returns the
// length, or -1.
int ReadSmallFile(const char* path, char* buf, int size);
