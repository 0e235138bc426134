function num(x) { return sprintf("%.15g", x + 0) }
function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
function stat_line(line,   i0, r, pid) {
  if (!match(line, /^[0-9]+ \(/)) return
  pid = substr(line, 1, RLENGTH - 2) + 0
  i0 = RLENGTH
  if (!match(line, /^.*\) /)) return
  if (split(substr(line, RLENGTH + 1), r, " ") < 22) return
  BN++; BP[BN] = pid
  BC[pid] = substr(line, i0 + 1, RLENGTH - i0 - 2)
  BPP[pid] = r[2] + 0; BT[pid] = r[12] + r[13]; BS[pid] = r[20]; BTH[pid] = r[18] + 0; BR[pid] = r[22] + 0
}
# One "PID FDS" line of the @U section: the stat of the process, read here (so the shell forks no cat).
function proc_line(   pid, n, f, l) {
  pid = $1 + 0; n = $2 + 0
  NFDS += n
  f = "/proc/" pid "/stat"
  l = ""
  if ((getline l < f) <= 0) l = ""
  close(f)
  if (l == "") return
  stat_line(l)
  if (pid in BC) CFD[pid] = n
}
function forget_argv(p,   i) {
  if (!(p in CN)) return
  for (i = 1; i <= CN[p]; i++) delete CA[p, i]
  delete CN[p]
}
# The end of the @U section: disk and network counters, right after the processes.
function read_io(   l, f, n, p, name) {
  while ((getline l < "/proc/diskstats") > 0) if (split(l, f, " ") >= 14) DSB[f[3]] = f[4] " " f[6] " " f[7] " " f[8] " " f[10] " " f[11]
  close("/proc/diskstats")
  while ((getline l < "/proc/net/dev") > 0) {
    p = index(l, ":")
    if (p == 0 || l ~ /\|/) continue
    name = substr(l, 1, p - 1); gsub(/ /, "", name)
    n = split(substr(l, p + 1), f, " ")
    if (n >= 9 && name != "lo") { NRXB += f[1]; NTXB += f[9] }
  }
  close("/proc/net/dev")
}
function btime(   l, f, b) {
  b = 0
  while ((getline l < "/proc/stat") > 0) if (l ~ /^btime /) { split(l, f, " "); b = f[2] + 0; break }
  close("/proc/stat")
  return b
}
function metric_line(l,   name, rest, p, k, v, f) {
  if (l ~ /^[ \t]*(#|$)/) return
  if (!match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) return
  name = substr(l, 1, RLENGTH); rest = substr(l, RLENGTH + 1)
  if (substr(rest, 1, 1) == "{") {
    p = 0
    while ((k = index(substr(rest, p + 1), "}")) > 0) p += k
    if (p == 0) return
    rest = substr(rest, p + 1)
  }
  if (split(rest, f, " ") < 1) return
  v = f[1]
  if (v !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) return
  if (!(name in MV)) {
    if (MN >= MCAP) { MDROP++; return }
    MN++; MK[MN] = name; MV[name] = 0
  }
  MV[name] += v
}
function reset_tick(   k) {
  for (k in BP) delete BP[k]
  for (k in BC) delete BC[k]
  for (k in BPP) delete BPP[k]
  for (k in BT) delete BT[k]
  for (k in BS) delete BS[k]
  for (k in BTH) delete BTH[k]
  for (k in BR) delete BR[k]
  for (k in DSB) delete DSB[k]
  for (k in CFD) delete CFD[k]
  for (k in MV) delete MV[k]
  for (k in MK) delete MK[k]
  for (k in MINE) delete MINE[k]
  for (k in ANC) delete ANC[k]
  for (k in AGENT) delete AGENT[k]
  for (k in APPP) delete APPP[k]
  BN = 0; NRXB = 0; NTXB = 0; MN = 0; MDROP = 0; MSET = 0; MRC = ""; HSET = 0; HC = ""; HT = ""; HE = ""
  NFDS = 0
}
# Argv (kept across intervals: the shell sends it for new processes only) of processes that are
# gone is forgotten.
function prune_argv(   k) {
  for (k in CN) if (!(k in BC)) forget_argv(k)
}
function ts_ms(d,   n) {
  gsub(/[^0-9].*$/, "", d)
  n = length(d)
  if (n >= 13) return substr(d, 1, 13)
  if (n >= 9) return d "000"
  return ""
}
# The processes that are neither the app, the agent nor its session, up to 3 by CPU this interval
# and 2 by resident memory, so a neighbour taking the resources of the host can be named.
function top_json(win,   i, p, n, k, best, bv, v, out, seen, pick, t) {
  n = 0
  for (k = 1; k <= 5; k++) {
    best = 0; bv = -1
    for (i = 1; i <= BN; i++) {
      p = BP[i]
      if ((p in MINE) || (p in ANC) || (p in APPP) || (p in seen)) continue
      t = (win > 0) ? (((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]) : 0
      v = (k <= 3) ? t : BR[p]
      if (v > bv) { bv = v; best = p }
    }
    if (best == 0 || bv <= 0) continue
    seen[best] = 1; n++; pick[n] = best
  }
  out = ""
  for (i = 1; i <= n; i++) {
    p = pick[i]
    t = (win > 0) ? (((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]) : 0
    out = out (i > 1 ? "," : "") "{\"pid\":" p ",\"comm\":" js(BC[p]) ",\"cpuPct\":" sprintf("%.1f", win > 0 ? t / CLK / win * 100 : 0) ",\"rssKiB\":" int0(BR[p] * PAGE / 1024) "}"
  }
  return out
}
function emit(   i, p, d, win, ticks, rss, nproc, cpu, dev, a, b, ios, iorms, rsec, wsec, rx, tx, out, k, m, j, npids, pids, prss, pth, pfd, pticks, ok, newpid, notes, first, ts) {
  # lineage: the agent (or its supervisor) and everything it started are not host load, never "the app"
  for (i = 1; i <= BN; i++) {
    p = BP[i]; d = 0
    while (p > 0 && p != SELF && d < 200 && (p in BPP)) { p = BPP[p]; d++ }
    if (p == SELF) MINE[BP[i]] = 1
  }
  p = (SELF in BPP) ? BPP[SELF] : 0; d = 0
  while (p > 0 && d < 200) { ANC[p] = 1; if (!(p in BPP)) break; p = BPP[p]; d++ }

  win = HAVEA ? UPB - UPA : 0
  if (win <= 0) win = 0
  ticks = 0; rss = 0; nproc = 0
  for (i = 1; i <= BN; i++) {
    p = BP[i]
    if (p in MINE) continue
    nproc++; rss += BR[p]
    if (win > 0) ticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
  }
  cpu = win > 0 ? ticks / CLK / win * 100 : 0
  if (cpu < 0) cpu = 0
  ios = 0; iorms = 0; rsec = 0; wsec = 0
  for (i = 1; i <= NBLK; i++) {
    dev = BLK[i]
    if (dev ~ /^(loop|ram|zram|dm-|md)/ || !(dev in DSA) || !(dev in DSB)) continue
    split(DSA[dev], a, " "); split(DSB[dev], b, " ")
    ios += (b[1] - a[1]) + (b[4] - a[4]); iorms += (b[3] - a[3]) + (b[6] - a[6])
    rsec += b[2] - a[2]; wsec += b[5] - a[5]
  }
  rx = (win > 0 && NRXB >= NRXA) ? (NRXB - NRXA) / win : 0
  tx = (win > 0 && NTXB >= NTXA) ? (NTXB - NTXA) / win : 0
  while ((getline l < "/proc/meminfo") > 0) { split(l, f, " "); MI[f[1]] = f[2] + 0 }
  close("/proc/meminfo")
  split(readfirst("/proc/loadavg"), f, " ")
  notes = ""
  ts = T0 == "" ? "0" : int0(T0 + (UPB - UP0) * 1000)

  SEQ++
  out = "{\"type\":\"sample\",\"schema\":1,\"seq\":" SEQ ",\"ts\":" ts ",\"intervalMs\":" INTERVAL ",\"windowMs\":" int0(win * 1000)
  out = out ",\"host\":{\"cpuPct\":" sprintf("%.1f", cpu) ",\"rssKiB\":" int0(rss * PAGE / 1024) \
    ",\"memAvailableKiB\":" int0(("MemAvailable:" in MI) ? MI["MemAvailable:"] : MI["MemFree:"] + MI["Buffers:"] + MI["Cached:"]) \
    ",\"memTotalKiB\":" int0(MI["MemTotal:"]) ",\"load1\":" sprintf("%.2f", f[1] + 0) ",\"processes\":" nproc ",\"fds\":" (NFDS + 0) \
    ",\"diskReadBps\":" int0(win > 0 ? rsec * 512 / win : 0) ",\"diskWriteBps\":" int0(win > 0 ? wsec * 512 / win : 0) \
    ",\"ioLatencyMs\":" ((win > 0 && ios > 0) ? sprintf("%.2f", iorms / ios) : "null") \
    ",\"netRxBps\":" int0(rx) ",\"netTxBps\":" int0(tx) ",\"disks\":["
  first = 1
  for (i = 1; i <= NDK; i++) {
    if (!(i in DKU)) continue
    out = out (first ? "" : ",") "{\"mount\":" js(DKI[i] == 0 ? "/" : A[DKI[i]]) ",\"usedPct\":" sprintf("%.1f", (DKU[i] + DKA[i]) > 0 ? DKU[i] * 100 / (DKU[i] + DKA[i]) : 0) ",\"availKiB\":" int0(DKA[i]) "}"
    first = 0
  }
  if (NDK > 0 && NDF != NDK) notes = notes (notes == "" ? "" : ",") js("df answered for " NDF " of " NDK " mounts")
  if (PAT != "") { mark_agents(); for (i = 1; i <= BN; i++) if (is_app(BP[i], PAT)) APPP[BP[i]] = 1 }
  out = out "],\"top\":[" top_json(win) "]},\"app\":{\"process\":"

  if (PAT == "") out = out "null"
  else {
    npids = 0; pids = ""; prss = 0; pth = 0; pfd = 0; pticks = 0
    newpid = 0
    for (i = 1; i <= BN; i++) {
      p = BP[i]
      if (!(p in APPP)) continue
      pids = (npids++ ? pids "," : "") p
      if (!(p in PREVPID)) newpid = 1
      NOWPID[p] = 1
      prss += BR[p]; pth += BTH[p]; pfd += CFD[p]
      if (win > 0) pticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
    }
    # restarts: intervals in which the pid set gained a pid it did not have the interval before
    if (SEENPIDS && newpid) RESTARTS++
    SEENPIDS = 1
    for (k in PREVPID) delete PREVPID[k]
    for (k in NOWPID) { PREVPID[k] = 1; delete NOWPID[k] }
    out = out "{\"pids\":[" pids "],\"rssKiB\":" int0(prss * PAGE / 1024) ",\"cpuPct\":" sprintf("%.1f", win > 0 ? pticks / CLK / win * 100 : 0) \
      ",\"threads\":" int0(pth) ",\"fds\":" int0(pfd) ",\"restarts\":" (RESTARTS + 0) "}"
  }

  out = out ",\"health\":"
  if (!HEALTHSET) out = out "null"
  else {
    ok = (HC ~ /^[1-5][0-9][0-9]$/)
    out = out "{\"status\":" (ok ? HC + 0 : "null") ",\"latencyMs\":" (ok ? sprintf("%.1f", HT * 1000) : "null")
    if (!ok || HE != "") out = out ",\"error\":" js(HE != "" ? HE : (HSET ? "no HTTP response" : "no health result"))
    out = out "}"
  }

  out = out ",\"metrics\":"
  if (!METRICSSET) out = out "null"
  else if (!MSET || MRC != "0") {
    out = out "null"
    notes = notes (notes == "" ? "" : ",") js(MRC == "90" ? "metrics: only http:// and https:// URLs are supported" : MRC == "91" ? "metrics: neither curl nor wget is available" : "metrics: fetch failed (exit " MRC ")")
  } else {
    out = out "{"
    for (i = 1; i <= MN; i++) out = out (i > 1 ? "," : "") js(MK[i]) ":" num(MV[MK[i]])
    out = out "}"
    if (MDROP > 0) notes = notes (notes == "" ? "" : ",") js("metrics: " MDROP " names over the cap of " MCAP " dropped")
  }

  out = out "},\"config\":{\"files\":{"
  first = 1
  for (i = 1; i <= NFI; i++) {
    k = FI[i]
    if (A[k] in SEENF) continue
    SEENF[A[k]] = 1
    out = out (first ? "" : ",") js(A[k]) ":" ((k in FH) && FH[k] != "" ? js(FH[k]) : "null"); first = 0
  }
  for (k in SEENF) delete SEENF[k]
  out = out "},\"release\":" (RELSET && RELOK ? js(REL) : "null") "}"
  if (notes != "") out = out ",\"notes\":[" notes "]"
  out = out "}"

  if (OUT == "") { print out; fflush() }
  else {
    if (BL >= BUFMAX || BB >= BUFBYTES) {
      close(OUT)
      system("mv -f -- " q(OUT) " " q(OUT1))
      BL = 0; BB = 0
    }
    print out >> OUT; close(OUT)
    BL++; BB += length(out) + 1
    print SEQ > STATE; close(STATE)
  }
}
function keep_snapshot(   k) {
  for (k in AT) delete AT[k]
  for (k in AS) delete AS[k]
  for (k in DSA) delete DSA[k]
  for (k in BT) AT[k] = BT[k]
  for (k in BS) AS[k] = BS[k]
  for (k in DSB) DSA[k] = DSB[k]
  UPA = UPB; NRXA = NRXB; NTXA = NTXB; HAVEA = 1
}
BEGIN {
  for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
  NA = ARGC - 1
  for (i = 1; i < ARGC; i++) { A[i] = ARGV[i]; ARGV[i] = "" }
  SELF = ENVIRON["PL_SELF"] + 0
  PAT = ENVIRON["PL_PROCESS"]
  MEND = ENVIRON["PL_MEND"]
  # The host clock at UP0 (uptime); the ts of a sample is carried forward from it.
  T0 = ts_ms(ENVIRON["PL_T0"]); UP0 = ENVIRON["PL_UP0"] + 0; B0 = btime()
  SEQ = ENVIRON["PL_SEQ"] + 0
  INTERVAL = ENVIRON["PL_INTERVAL"] + 0
  OUT = ENVIRON["PL_BUF"]; OUT1 = ENVIRON["PL_BUF1"]; STATE = ENVIRON["PL_STATE"]
  BL = ENVIRON["PL_BUF_LINES"] + 0; BB = ENVIRON["PL_BUF_BYTES"] + 0
  BUFMAX = ENVIRON["PL_BUFMAX"] + 0; if (BUFMAX < 10) BUFMAX = 10
  BUFBYTES = 4194304
  MCAP = 256
  CLK = 100; PAGE = 4096
  split(ENVIRON["PL_KP"], f, " "); if (f[1] + 0 > 0) CLK = f[1] + 0; if (f[2] + 0 > 0) PAGE = f[2] + 0
  w = ""
  for (i = 1; i <= NA; i++) {
    if (w != "") {
      if (w == "--file" || w == "--secret-file") { NFI++; FI[NFI] = i }
      else if (w == "--release") RELSET = 1
      else if (w == "--health") HEALTHSET = 1
      else if (w == "--metrics") METRICSSET = 1
      w = ""; continue
    }
    if (A[i] ~ /^--(sysctl|service|file|secret-file|release|process|health|perf-ms|interval-ms|from-seq|metrics|mount|dir|buffer-lines|ticks|full-hash-ms)$/) w = A[i]
  }
  reset_tick()
}
INMET {
  if (index($0, MEND " ") == 1) { INMET = 0; MSET = 1; MRC = substr($0, length(MEND) + 2) }
  else if (++MLINES <= 100000) metric_line($0)
  next
}
/^@/ {
  sec = $1
  if (sec == "@U") { split(readfirst("/proc/uptime"), f, " "); UPB = f[1] + 0 }
  else if (sec == "@S") { read_io(); prune_argv() }
  else if (sec == "@Z") { for (k in CN) forget_argv(k) }
  else if (sec == "@A") { cur = $2 + 0; forget_argv(cur); CN[cur] = 0 }
  else if (sec == "@b") { NBLK++; BLK[NBLK] = $2 }
  else if (sec == "@c") {
    # A step of the host clock moves the boot time it reports: ts follows the step.
    b = btime()
    if (B0 > 0 && b > 0 && (b - B0 >= 2 || B0 - b >= 2)) { T0 += (b - B0) * 1000; B0 = b }
  }
  else if (sec == "@k") {
    NDK = 0; NDF = 0
    for (k in DKI) delete DKI[k]
    for (k in DKU) delete DKU[k]
    for (k in DKA) delete DKA[k]
    for (i = 2; i <= NF; i++) { NDK++; DKI[NDK] = $i + 0 }
  }
  else if (sec == "@H") { HSET = 1; HC = $2; HT = $3; he = $0; sub(/^@H [^ ]* [^ ]* ?/, "", he); HE = he }
  else if (sec == "@M") { INMET = 1; MLINES = 0 }
  else if (sec == "@G") { cur = $2 + 0; FH[cur] = "" }
  else if (sec == "@r") { RELOK = ($2 == "1"); REL = substr($0, 6) }
  else if (sec == "@E") { if ($2 == "1") emit(); keep_snapshot(); reset_tick() }
  next
}
sec == "@U" { proc_line(); next }
sec == "@A" { CN[cur]++; CA[cur, CN[cur]] = $0; next }
sec == "@K" {
  if ($1 == "Filesystem") next
  if (match($0, / [0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /)) {
    split(substr($0, RSTART, RLENGTH), f, " ")
    NDF++
    if (NDF <= NDK) { DKU[NDF] = f[2] + 0; DKA[NDF] = f[3] + 0 }
  }
  next
}
sec == "@G" { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) == 64) FH[cur] = $i; next }
sec == "@r" { REL = REL "\n" $0; next }
