/* User-space stand-in (see linux/cache.h). */
#pragma once
#define PAGE_SIZE 4096UL
