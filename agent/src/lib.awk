function basename(p) { sub(/\/+$/, "", p); match(p, /[^\/]*$/); return substr(p, RSTART) }
# Is pid p the app called pat: its comm or an argv word (or the basename of one) equals pat or
# pat-INSTANCE (app matches app-blue, the rule tier-1 restarts use too)? Never the agent, its
# ancestors, or anything under another agent run (whose argv names pat as well).
function is_app(p, pat,   q, d, m, j, a) {
  if ((p in MINE) || (p in ANC)) return 0
  q = p; d = 0
  while (q > 1 && !(q in AGENT) && (q in BPP) && d < 200) { q = BPP[q]; d++ }
  if (q in AGENT) return 0
  m = (BC[p] == pat || index(BC[p], pat "-") == 1 || (length(pat) > 15 && BC[p] == substr(pat, 1, 15)))
  if (p in CN) for (j = 1; !m && j <= CN[p]; j++) {
    a = CA[p, j]; gsub(/\001/, "\n", a); gsub(/\003/, "@", a)
    if (a == pat || basename(a) == pat || index(a, pat "-") == 1 || index(basename(a), pat "-") == 1) m = 1
  }
  return m
}
# Other agent runs (sh -c SCRIPT plumbline-agent ...): their children are never the app.
function mark_agents(   p, j) { for (p in CN) for (j = 1; j <= 3; j++) if (CA[p, j] == "-c" && CA[p, j + 2] == "plumbline-agent") AGENT[p] = 1 }
function esc(s) {
  if (s !~ /[\\"\001-\037\200-\377]/) return s
  return escv(s, (s ~ /[\200-\377]/) && !u8ok(s))
}
# hi: the string is not valid UTF-8, so its bytes >= 0x80 are escaped too (as \u00XX).
function escv(s, hi,   out, c) {
  out = ""
  while (1) {
    if (hi) { if (!match(s, /[\\"\001-\037\200-\377]/)) break }
    else if (!match(s, /[\\"\001-\037]/)) break
    c = substr(s, RSTART, 1)
    if (c == "\\") c = "\\\\"
    else if (c == "\"") c = "\\\""
    else if (c == "\n") c = "\\n"
    else if (c == "\t") c = "\\t"
    else if (c == "\r") c = "\\r"
    else c = sprintf("\\u%04x", ORD[c])
    out = out substr(s, 1, RSTART - 1) c
    s = substr(s, RSTART + 1)
  }
  return out s
}
# Long text (already checked to be UTF-8) is escaped in chunks so a line full of quotes costs linear time, not quadratic.
function pesc(s,   n, o) {
  n = length(s)
  for (o = 1; o <= n; o += 512) printf "%s", escv(substr(s, o, 512), 0)
}
function js(s) { return "\"" esc(s) "\"" }
function jsn(s, isnull) { return isnull ? "null" : js(s) }
function int0(x) { return sprintf("%.0f", x + 0) }
function u8ok(s,   n, i, j, k, c, ch) {
  n = length(s)
  for (i = 1; i <= n; i++) {
    ch = substr(s, i, 1)
    if (!(ch in ORD)) return 0
    c = ORD[ch]
    if (c < 128) continue
    if (c >= 194 && c <= 223) k = 1
    else if (c >= 224 && c <= 239) k = 2
    else if (c >= 240 && c <= 244) k = 3
    else return 0
    for (j = 1; j <= k; j++) {
      ch = substr(s, i + j, 1)
      if (!(ch in ORD) || ORD[ch] < 128 || ORD[ch] > 191) return 0
    }
    i += k
  }
  return 1
}
function readfirst(f,   l) { l = ""; if ((getline l < f) <= 0) l = ""; close(f); return l }
