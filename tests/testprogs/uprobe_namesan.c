/* uprobe_namesan: has a non-inlined function whose name contains '$' (fn$),
 * for probe-name sanitisation. */
__attribute__((noinline)) int fn$(int x)
{
  return x + 1;
}

int main(void)
{
  return fn$(-1);
}
