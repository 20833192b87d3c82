/*
 * Input of the `programs` benchmark (clang: compiled to a wasm32-wasip1 object, -O2). Written
 * for this benchmark; never run. A small stack-based bytecode interpreter with an assembler,
 * a hash table of symbols and an LZ77 compressor for its images: ordinary C with loops,
 * switches, structs and libc calls for the optimiser to work on.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_PUSH, OP_POP, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_DUP, OP_SWAP, OP_JMP, OP_JZ,
          OP_LT, OP_EQ, OP_LOAD, OP_STORE, OP_CALL, OP_RET, OP_PRINT, OP_HALT, OP_COUNT };

static const char *const op_names[OP_COUNT] = {
  "push", "pop", "add", "sub", "mul", "div", "mod", "dup", "swap", "jmp", "jz",
  "lt", "eq", "load", "store", "call", "ret", "print", "halt",
};

struct insn { uint8_t op; int32_t arg; };

struct program { struct insn *code; size_t len, cap; };

struct symbol { char *name; int32_t value; struct symbol *next; };

struct table { struct symbol **buckets; size_t nbuckets, count; };

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

static void table_init(struct table *t, size_t n) {
  t->buckets = calloc(n, sizeof *t->buckets);
  t->nbuckets = n;
  t->count = 0;
}

static void table_grow(struct table *t) {
  struct table bigger;
  table_init(&bigger, t->nbuckets * 2);
  for (size_t i = 0; i < t->nbuckets; i++) {
    struct symbol *s = t->buckets[i];
    while (s) {
      struct symbol *next = s->next;
      size_t b = hash_str(s->name) & (bigger.nbuckets - 1);
      s->next = bigger.buckets[b];
      bigger.buckets[b] = s;
      s = next;
    }
  }
  free(t->buckets);
  bigger.count = t->count;
  *t = bigger;
}

static struct symbol *table_get(struct table *t, const char *name, int create) {
  size_t b = hash_str(name) & (t->nbuckets - 1);
  for (struct symbol *s = t->buckets[b]; s; s = s->next)
    if (strcmp(s->name, name) == 0) return s;
  if (!create) return NULL;
  if (t->count * 4 >= t->nbuckets * 3) {
    table_grow(t);
    b = hash_str(name) & (t->nbuckets - 1);
  }
  struct symbol *s = malloc(sizeof *s);
  s->name = strdup(name);
  s->value = -1;
  s->next = t->buckets[b];
  t->buckets[b] = s;
  t->count++;
  return s;
}

static void emit(struct program *p, enum op op, int32_t arg) {
  if (p->len == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->code = realloc(p->code, p->cap * sizeof *p->code);
  }
  p->code[p->len].op = (uint8_t)op;
  p->code[p->len].arg = arg;
  p->len++;
}

static int find_op(const char *word) {
  for (int i = 0; i < OP_COUNT; i++)
    if (strcmp(op_names[i], word) == 0) return i;
  return -1;
}

/* Two passes: labels ("name:") first, then instructions with numeric or label arguments. */
static int assemble(const char *src, struct program *p, struct table *labels) {
  for (int pass = 0; pass < 2; pass++) {
    const char *s = src;
    size_t pc = 0;
    p->len = 0;
    while (*s) {
      char word[64], arg[64];
      size_t n = 0;
      while (*s && isspace((unsigned char)*s)) s++;
      if (*s == ';') { while (*s && *s != '\n') s++; continue; }
      while (*s && !isspace((unsigned char)*s) && n < sizeof word - 1) word[n++] = *s++;
      word[n] = 0;
      if (!n) break;
      if (word[n - 1] == ':') {
        word[n - 1] = 0;
        if (pass == 0) table_get(labels, word, 1)->value = (int32_t)pc;
        continue;
      }
      int op = find_op(word);
      if (op < 0) { fprintf(stderr, "unknown op %s\n", word); return -1; }
      int32_t value = 0;
      if (op == OP_PUSH || op == OP_JMP || op == OP_JZ || op == OP_LOAD || op == OP_STORE || op == OP_CALL) {
        n = 0;
        while (*s == ' ' || *s == '\t') s++;
        while (*s && !isspace((unsigned char)*s) && n < sizeof arg - 1) arg[n++] = *s++;
        arg[n] = 0;
        if (isdigit((unsigned char)arg[0]) || arg[0] == '-') value = (int32_t)strtol(arg, NULL, 10);
        else if (pass == 1) {
          struct symbol *l = table_get(labels, arg, 0);
          if (!l) { fprintf(stderr, "unknown label %s\n", arg); return -1; }
          value = l->value;
        }
      }
      if (pass == 1) emit(p, (enum op)op, value);
      pc++;
    }
  }
  return 0;
}

static int64_t run(const struct program *p, int64_t *out, size_t nout) {
  int64_t stack[256], mem[64] = {0};
  size_t frames[64];
  size_t sp = 0, fp = 0, pc = 0, printed = 0;
  int64_t steps = 0;
  for (;;) {
    const struct insn *i = &p->code[pc++];
    steps++;
    switch ((enum op)i->op) {
      case OP_PUSH: stack[sp++] = i->arg; break;
      case OP_POP: sp--; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
      case OP_MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_JMP: pc = (size_t)i->arg; break;
      case OP_JZ: if (stack[--sp] == 0) pc = (size_t)i->arg; break;
      case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case OP_LOAD: stack[sp++] = mem[i->arg & 63]; break;
      case OP_STORE: mem[i->arg & 63] = stack[--sp]; break;
      case OP_CALL: frames[fp++] = pc; pc = (size_t)i->arg; break;
      case OP_RET: pc = frames[--fp]; break;
      case OP_PRINT: if (printed < nout) out[printed++] = stack[sp - 1]; sp--; break;
      case OP_HALT: return steps;
      case OP_COUNT: default: return -1;
    }
  }
}

/* LZ77 with a 4 KiB window and a hash of 3-byte prefixes; tokens: literal runs and matches. */
static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out) {
  int32_t head[4096];
  size_t o = 0, lit = 0, i = 0;
  for (size_t k = 0; k < 4096; k++) head[k] = -1;
  while (i < n) {
    size_t best = 0, dist = 0;
    if (i + 3 <= n) {
      uint32_t h = ((uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2]) * 2654435761u >> 20;
      int32_t cand = head[h];
      head[h] = (int32_t)i;
      if (cand >= 0 && i - (size_t)cand <= 4095) {
        size_t len = 0;
        while (i + len < n && len < 130 && in[(size_t)cand + len] == in[i + len]) len++;
        if (len >= 3) best = len, dist = i - (size_t)cand;
      }
    }
    if (best) {
      if (lit) { out[o++] = (uint8_t)(lit - 1); memcpy(out + o, in + i - lit, lit); o += lit; lit = 0; }
      out[o++] = (uint8_t)(0x80 | (best - 3));
      out[o++] = (uint8_t)(dist >> 8);
      out[o++] = (uint8_t)dist;
      i += best;
    } else {
      lit++, i++;
      if (lit == 128) { out[o++] = 127; memcpy(out + o, in + i - lit, lit); o += lit; lit = 0; }
    }
  }
  if (lit) { out[o++] = (uint8_t)(lit - 1); memcpy(out + o, in + n - lit, lit); o += lit; }
  return o;
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out) {
  size_t o = 0, i = 0;
  while (i < n) {
    uint8_t t = in[i++];
    if (t & 0x80) {
      size_t len = (size_t)(t & 0x7f) + 3, dist = (size_t)in[i] << 8 | in[i + 1];
      i += 2;
      for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];
    } else {
      memcpy(out + o, in + i, (size_t)t + 1);
      o += (size_t)t + 1;
      i += (size_t)t + 1;
    }
  }
  return o;
}

static const char *const source =
  "; sum of i*i mod 7 for i below 100000, then fib(20) by calls\n"
  "  push 0\n  store 0\n  push 0\n  store 1\n"
  "loop:\n  load 0\n  push 100000\n  lt\n  jz done\n"
  "  load 0\n  dup\n  mul\n  push 7\n  mod\n  load 1\n  add\n  store 1\n"
  "  load 0\n  push 1\n  add\n  store 0\n  jmp loop\n"
  "done:\n  load 1\n  print\n  push 20\n  store 2\n  call fib\n  load 3\n  print\n  halt\n"
  "fib:\n  push 0\n  store 3\n  push 1\n  store 4\n"
  "fibloop:\n  load 2\n  jz fibdone\n  load 3\n  load 4\n  dup\n  store 3\n  add\n  store 4\n"
  "  load 2\n  push 1\n  sub\n  store 2\n  jmp fibloop\n"
  "fibdone:\n  ret\n";

int main(void) {
  struct program p = {0};
  struct table labels;
  table_init(&labels, 8);
  if (assemble(source, &p, &labels) != 0) return 1;
  int64_t out[4] = {0};
  int64_t steps = run(&p, out, 4);
  size_t image = p.len * sizeof *p.code;
  uint8_t *packed = malloc(image * 2 + 16), *unpacked = malloc(image + 16);
  size_t packed_len = lz_compress((const uint8_t *)p.code, image, packed);
  size_t unpacked_len = lz_decompress(packed, packed_len, unpacked);
  printf("steps=%lld sum=%lld fib=%lld image=%zu packed=%zu roundtrip=%s labels=%zu\n",
         (long long)steps, (long long)out[0], (long long)out[1], image, packed_len,
         unpacked_len == image && memcmp(unpacked, p.code, image) == 0 ? "ok" : "BAD", labels.count);
  return 0;
}
