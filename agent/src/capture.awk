# Facts the shell used to fork a command for: the time (date), clock ticks and page size
# (getconf), the CPU count (nproc) and the byte order (od).
function host_facts(   l, f, n, i, r, g, up) {
  srand(); T = utc(srand())
  # USER_HZ: the start time of this awk in ticks since boot over the seconds since boot (awk started
  # a moment ago, so the ratio is the tick rate to well under 1 %).
  up = readfirst("/proc/uptime") + 0
  l = readfirst("/proc/self/stat")
  if (match(l, /\) /) && up > 0) {
    split(substr(l, RSTART + 2), f, " ")
    r = int(f[20] / up + 0.5)
    if (r >= 50 && r <= 5000) CLK = r
  }
  while ((getline l < "/proc/self/smaps") > 0) if (l ~ /^KernelPageSize:/) { split(l, f, " "); if (f[2] + 0 > 0) PAGE = f[2] * 1024; break }
  close("/proc/self/smaps")
  # CPUs online ("0-3,6"): only where /proc/cpuinfo has no processor lines.
  n = split(readfirst("/sys/devices/system/cpu/online"), f, ",")
  for (i = 1; i <= n; i++) { if (split(f[i], g, "-") == 2) NPROC += g[2] - g[1] + 1; else if (f[i] ~ /^[0-9]+$/) NPROC++ }
  l = readfirst("/sys/kernel/cpu_byteorder")
  if (l == "big") LE = 0
}
# ISO 8601 UTC from epoch seconds (days to civil date: the algorithm of H. Hinnant).
function utc(t,   d, s, z, era, doe, yoe, y, doy, mp, dd, m) {
  d = int(t / 86400); s = t - d * 86400
  z = d + 719468; era = int(z / 146097); doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
  dd = doy - int((153 * mp + 2) / 5) + 1; m = mp < 10 ? mp + 3 : mp - 9
  if (m <= 2) y++
  return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, dd, int(s / 3600), int(s % 3600 / 60), s % 60)
}
function pkg_add(name, ver) {
  if (name in PKV) { if (PKV[name] != ver) PKV[name] = PKV[name] ", " ver; return }
  NPK++; PKN[NPK] = name; PKV[name] = ver
}
# the status database of dpkg, as dpkg-query -W would list it: installed packages and their versions.
function dpkg_status(   f, l, c, name, ver, st) {
  f = "/var/lib/dpkg/status"; name = ""; ver = ""; st = ""
  while ((getline l < f) > 0) {
    if (l == "") { if (name != "" && st ~ / installed$/) pkg_add(name, ver); name = ""; ver = ""; st = ""; continue }
    c = substr(l, 1, 1)
    if (c == " " || c == "\t") continue
    if (substr(l, 1, 9) == "Package: ") name = substr(l, 10)
    else if (substr(l, 1, 8) == "Status: ") st = substr(l, 9)
    else if (substr(l, 1, 9) == "Version: ") ver = substr(l, 10)
  }
  close(f)
  if (name != "" && st ~ / installed$/) pkg_add(name, ver)
}
function hexv(h,   i, n, v) {
  v = 0; n = length(h); h = toupper(h)
  for (i = 1; i <= n; i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
  return v
}
function swap4(w) { return LE ? substr(w, 7, 2) substr(w, 5, 2) substr(w, 3, 2) substr(w, 1, 2) : w }
function ip4(h) {
  h = swap4(h)
  return hexv(substr(h, 1, 2)) "." hexv(substr(h, 3, 2)) "." hexv(substr(h, 5, 2)) "." hexv(substr(h, 7, 2))
}
function ip6(h,   s, k, g, best, bl, cs, cl, out) {
  s = ""
  for (k = 0; k < 4; k++) s = s swap4(substr(h, k * 8 + 1, 8))
  for (k = 0; k < 8; k++) g[k] = hexv(substr(s, k * 4 + 1, 4))
  if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 65535)
    return "::ffff:" int(g[6] / 256) "." (g[6] % 256) "." int(g[7] / 256) "." (g[7] % 256)
  best = -1; bl = 0; cs = -1; cl = 0
  for (k = 0; k < 8; k++) {
    if (g[k] == 0) { if (cs < 0) { cs = k; cl = 0 } cl++; if (cl > bl) { best = cs; bl = cl } }
    else cs = -1
  }
  if (bl < 2) best = -1
  out = ""
  for (k = 0; k < 8; k++) {
    if (k == best) { out = out "::"; k += bl - 1; continue }
    if (out != "" && substr(out, length(out)) != ":") out = out ":"
    out = out sprintf("%x", g[k])
  }
  return out
}
function unoct(s,   out) {
  out = ""
  while (match(s, /\\[0-7][0-7][0-7]/)) {
    out = out substr(s, 1, RSTART - 1) sprintf("%c", (substr(s, RSTART + 1, 1) * 64) + (substr(s, RSTART + 2, 1) * 8) + substr(s, RSTART + 3, 1))
    s = substr(s, RSTART + 4)
  }
  return out s
}
function unquote(v,   q) {
  q = substr(v, 1, 1)
  if ((q == "\"" || q == "\047") && substr(v, length(v)) == q) v = substr(v, 2, length(v) - 2)
  if (q == "\"") { gsub(/\\\$/, "$", v); gsub(/\\`/, "`", v); gsub(/\\"/, "\"", v) }
  return v
}
function optarg(o) { return o == "--sysctl" || o == "--service" || o == "--file" || o == "--secret-file" || o == "--release" || o == "--process" || o == "--health" || o == "--perf-ms" }
function stat_line(line, snap,   i0, rest, r, pid) {
  if (!match(line, /^[0-9]+ \(/)) return
  pid = substr(line, 1, RLENGTH - 2) + 0
  i0 = RLENGTH
  if (!match(line, /^.*\) /)) return
  rest = substr(line, RLENGTH + 1)
  if (split(rest, r, " ") < 22) return
  if (snap == "A") { AT[pid] = r[12] + r[13]; AS[pid] = r[20]; return }
  BN++; BP[BN] = pid
  BC[pid] = substr(line, i0 + 1, RLENGTH - i0 - 2)
  BPP[pid] = r[2] + 0; BT[pid] = r[12] + r[13]; BS[pid] = r[20]; BTH[pid] = r[18] + 0; BR[pid] = r[22] + 0
}
function snap_line(snap,   f, n, name, p) {
  if (SNAPFIRST) { SNAPFIRST = 0; UP[snap] = $1 + 0; return }
  if ($2 ~ /^\(/) { stat_line($0, snap); return }
  p = index($0, ":")
  if (p > 0 && $0 !~ /\|/) {
    name = substr($0, 1, p - 1); gsub(/ /, "", name)
    n = split(substr($0, p + 1), f, " ")
    if (n >= 9 && name != "lo") { NRX[snap] += f[1]; NTX[snap] += f[9] }
    return
  }
  if (NF >= 14) DS[snap, $3] = $4 " " $6 " " $7 " " $8 " " $10 " " $11
}
BEGIN {
  for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i
  # The agent argv: kept raw, never opened as input files.
  NA = ARGC - 1
  for (i = 1; i < ARGC; i++) { A[i] = ARGV[i]; ARGV[i] = "" }
  SELF = ENVIRON["PL_SELF"] + 0
  PAT = ENVIRON["PL_PROCESS"]
  LE = 1; CLK = 100; PAGE = 4096
  host_facts()
}
/^@/ {
  sec = $1
  if (sec == "@A" || sec == "@B") { SNAPFIRST = 1; HAVE[substr(sec, 2)] = 1 }
  else if (sec == "@E") LE = ($2 != "256")
  else if (sec == "@b") { NB++; BLK[NB] = $2 }
  else if (sec == "@n") { NN++; NIC[NN] = $2 }
  else if (sec == "@P") { PM = $2; if (PM == "dpkg-status") dpkg_status() }
  else if (sec == "@Y") SYP[$2 + 0] = substr($0, length($1 $2) + 3)
  else if (sec == "@V") SV[$2 + 0] = $3
  else if (sec == "@F") FK[$2] = $3
  else if (sec == "@f") { FSZ[$2] = $3; FMO[$2] = $4; FOW[$2] = ($5 == "UNKNOWN" ? $6 : $5) }
  else if (sec == "@h") { if ($3 ~ /^[0-9a-f]+$/ && length($3) == 64) FSH[$2] = $3 }
  else if (sec == "@z") FNUL[$2] = $3
  else if (sec == "@C") { cur = $2 + 0; CN[cur] = 0; CFD[cur] = $3 + 0 }
  else if (sec == "@H") { HC = $2; HT = $3; he = $0; sub(/^@H [^ ]* [^ ]* ?/, "", he); HE = he }
  next
}
sec == "@A" || sec == "@B" { snap_line(substr(sec, 2)); next }
sec == "@I" {
  # 2: eth0    inet 10.0.0.2/24 brd ... scope global eth0\ ...
  nm = $2; sub(/@.*/, "", nm)
  if (($3 == "inet" || $3 == "inet6") && $4 != "") {
    if (nm in ADDR) ADDR[nm] = ADDR[nm] "," js($4)
    else ADDR[nm] = js($4)
  }
  next
}
sec == "@y" {
  # PATH:LINE from one grep over every sysctl file; the lines of a value are joined again.
  p = index($0, ":"); f1 = substr($0, 1, p - 1); v = substr($0, p + 1)
  if (f1 in SYV) v = SYV[f1] "\n" v
  SYV[f1] = v
  next
}
sec == "@c" {
  # /proc/PID/cmdline:WORD from one grep over the argv of every candidate.
  if (!match($0, /^\/proc\/[0-9]+\/cmdline:/)) next
  p = substr($0, 7, RLENGTH - 15) + 0
  CN[p]++; CA[p, CN[p]] = substr($0, RLENGTH + 1)
  next
}
sec == "@P" {
  if (PM == "dpkg") {
    split($0, f, "\t")
    if (f[1] !~ / installed$/ || f[2] == "") next
    name = f[2]; ver = f[3]
  } else if (PM == "rpm") {
    split($0, f, "\t"); name = f[1]; ver = (f[2] == "(none)" || f[2] == "") ? f[3] : f[2] ":" f[3]
    if (name == "gpg-pubkey") next
  } else if (PM == "apk") {
    # name-version-rN: the version starts at the last-but-one dash
    if (!match($0, /-[^-]+-r[0-9]+$/)) next
    name = substr($0, 1, RSTART - 1); ver = substr($0, RSTART + 1)
  } else next
  pkg_add(name, ver)
  next
}
sec == "@C" { CN[cur]++; CA[cur, CN[cur]] = $0; next }
END {
  # ---- lineage: the agent and everything it started are not host load and never "the app"
  for (i = 1; i <= BN; i++) {
    p = BP[i]; d = 0
    while (p > 0 && p != SELF && d < 200 && (p in BPP)) { p = BPP[p]; d++ }
    if (p == SELF) MINE[BP[i]] = 1
  }
  p = (SELF in BPP) ? BPP[SELF] : 0; d = 0
  while (p > 0 && d < 200) { ANC[p] = 1; if (!(p in BPP)) break; p = BPP[p]; d++ }

  win = (HAVE["A"] && HAVE["B"]) ? UP["B"] - UP["A"] : 0
  if (win < 0) win = 0
  ticks = 0; rss = 0; nproc = 0
  for (i = 1; i <= BN; i++) {
    p = BP[i]
    if (p in MINE) continue
    nproc++; rss += BR[p]
    if (win > 0) ticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
  }
  cpu = win > 0 ? ticks / CLK / win * 100 : 0
  if (cpu < 0) cpu = 0

  # ---- disks: whole devices from /sys/block; dm-/md are layered on them, so not summed for IO
  ndisk = 0
  for (i = 1; i <= NB; i++) {
    b = BLK[i]
    if (b ~ /^(loop|ram|zram)/) continue
    ndisk++; DN[ndisk] = b
    DSZ[ndisk] = readfirst("/sys/block/" b "/size") * 512
    DROT[ndisk] = readfirst("/sys/block/" b "/queue/rotational") == "1"
    if (win > 0 && b !~ /^(dm-|md)/ && (("A", b) in DS) && (("B", b) in DS)) {
      split(DS["A", b], dsa, " "); split(DS["B", b], dsb, " ")
      ios += (dsb[1] - dsa[1]) + (dsb[4] - dsa[4]); iorms += (dsb[3] - dsa[3]) + (dsb[6] - dsa[6])
      rsec += dsb[2] - dsa[2]; wsec += dsb[5] - dsa[5]
    }
  }
  iolat = (win > 0 && ios > 0) ? sprintf("%.2f", iorms / ios) : "null"

  # ---- static facts straight from /proc and /sys
  ncpu = 0; model = ""
  while ((getline l < "/proc/cpuinfo") > 0) {
    if (l ~ /^processor[ \t]*:/) ncpu++
    if (model == "" && l ~ /^(model name|Processor|cpu model|cpu|Hardware|uarch)[ \t]*:/) { model = l; sub(/^[^:]*:[ \t]*/, "", model) }
  }
  close("/proc/cpuinfo")
  if (ncpu == 0) ncpu = NPROC
  while ((getline l < "/proc/meminfo") > 0) {
    split(l, f, " "); MI[f[1]] = f[2] + 0
  }
  close("/proc/meminfo")
  memavail = ("MemAvailable:" in MI) ? MI["MemAvailable:"] : MI["MemFree:"] + MI["Buffers:"] + MI["Cached:"]
  split(readfirst("/proc/loadavg"), f, " "); load1 = f[1] + 0

  osr = "/etc/os-release"
  if ((getline l < osr) < 0) osr = "/usr/lib/os-release"
  close("/etc/os-release")
  while ((getline l < osr) > 0) {
    p = index(l, "="); if (p == 0) continue
    OSR[substr(l, 1, p - 1)] = unquote(substr(l, p + 1))
  }
  close(osr)

  # ---- one pass over the agent argv, in the same way the shell walked it
  w = ""; nsys = 0; nsvc = 0; nfile = 0
  for (i = 2; i <= NA; i++) {
    if (w != "") {
      if (w == "--sysctl") { nsys++; SYI[nsys] = i }
      else if (w == "--service") { nsvc++; SVI[nsvc] = i }
      else if (w == "--file" || w == "--secret-file") { nfile++; FI[nfile] = i; FSEC[nfile] = (w == "--secret-file") }
      else if (w == "--release") REL = i
      else if (w == "--health") HEALTH = i
      w = ""; continue
    }
    if (optarg(A[i])) w = A[i]
  }

  # ---- print: {type, schema, agentVersion, capturedAt, hardware, os, app}
  printf "{\"type\":\"fingerprint\",\"schema\":1,\"agentVersion\":%s,\"capturedAt\":%s", js(ENVIRON["PL_VERSION"]), js(T == "" ? "1970-01-01T00:00:00Z" : T)

  printf ",\"hardware\":{\"cpu\":{\"model\":%s,\"cores\":%s},\"memory\":{\"totalKiB\":%s},\"disks\":[", js(model), int0(ncpu), int0(MI["MemTotal:"])
  for (i = 1; i <= ndisk; i++) printf "%s{\"name\":%s,\"sizeBytes\":%s,\"rotational\":%s}", (i > 1 ? "," : ""), js(DN[i]), int0(DSZ[i]), (DROT[i] ? "true" : "false")
  printf "],\"nics\":["
  k = 0
  for (i = 1; i <= NN; i++) {
    n = NIC[i]
    if (n == "lo") continue
    printf "%s{\"name\":%s,\"mac\":%s,\"mtu\":%s,\"addresses\":[%s]}", (k++ ? "," : ""), js(n), js(readfirst("/sys/class/net/" n "/address")), int0(readfirst("/sys/class/net/" n "/mtu")), ADDR[n]
  }
  printf "],\"perf\":{\"windowMs\":%s,\"cpuPct\":%.1f,\"rssKiB\":%s,\"processes\":%s,\"load1\":%.2f,\"memAvailableKiB\":%s,\"ioLatencyMs\":%s,\"diskReadBps\":%s,\"diskWriteBps\":%s,\"netRxBps\":%s,\"netTxBps\":%s}}",
    int0(win * 1000), cpu, int0(rss * PAGE / 1024), int0(nproc), load1, int0(memavail), iolat,
    int0(win > 0 ? rsec * 512 / win : 0), int0(win > 0 ? wsec * 512 / win : 0),
    int0(win > 0 && NRX["B"] >= NRX["A"] ? (NRX["B"] - NRX["A"]) / win : 0), int0(win > 0 && NTX["B"] >= NTX["A"] ? (NTX["B"] - NTX["A"]) / win : 0)

  printf ",\"os\":{\"hostname\":%s,\"kernel\":%s,\"distribution\":{\"id\":%s,\"version\":%s,\"pretty\":%s},\"packages\":",
    js(readfirst("/proc/sys/kernel/hostname")), js(readfirst("/proc/sys/kernel/osrelease")), js(OSR["ID"]), js(OSR["VERSION_ID"]), js(OSR["PRETTY_NAME"])
  if (PM == "" || ENVIRON["PL_PACKAGES"] != "1") printf "null"
  else {
    printf "{"
    for (i = 1; i <= NPK; i++) printf "%s%s:%s", (i > 1 ? "," : ""), js(PKN[i]), js(PKV[PKN[i]])
    printf "}"
  }
  printf ",\"sysctl\":{"
  k = 0
  for (i = 1; i <= nsys; i++) {
    n = A[SYI[i]]; if (n in SEEN_SY) continue; SEEN_SY[n] = 1
    f1 = (SYI[i] in SYP) ? SYP[SYI[i]] : ""
    if (f1 != "" && (f1 in SYV)) { v = SYV[f1]; while (substr(v, length(v)) == "\n") v = substr(v, 1, length(v) - 1) }
    printf "%s%s:%s", (k++ ? "," : ""), js(n), (f1 != "" && (f1 in SYV)) ? js(v) : "null"
  }
  printf "},\"services\":{"
  k = 0
  systemd = ENVIRON["PL_SYSTEMD"] == "1"
  for (i = 1; i <= nsvc; i++) {
    n = A[SVI[i]]; if (n in SEEN_SV) continue; SEEN_SV[n] = 1
    if (systemd) {
      st = SV[SVI[i]]
      st = (st == "active" || st == "reloading" || st == "refreshing") ? "active" : (st == "inactive" || st == "failed") ? st : "unknown"
    } else if (n == "" || n ~ /[^A-Za-z0-9@_.:-]/) st = "unknown"
    else {
      base = n; sub(/\.service$/, "", base); st = "inactive"
      for (j = 1; j <= BN; j++) {
        p = BP[j]
        # The own session of the agent (its ancestors) is no service, but the daemon it came in through
        # is: an ancestor whose parent is init (the SSH server) counts. Without this, "ssh" read
        # inactive whenever the session of the agent was the only one, and active when another was open.
        if (!(p in MINE) && (!(p in ANC) || BPP[p] <= 1) && (BC[p] == base || BC[p] == base "d" || (length(base) > 15 && BC[p] == substr(base, 1, 15)))) { st = "active"; break }
      }
    }
    printf "%s%s:{\"state\":\"%s\",\"source\":\"%s\"}", (k++ ? "," : ""), js(n), st, (systemd ? "systemd" : "process")
  }
  printf "},\"ports\":["
  np = 0
  split("tcp tcp6 udp udp6", PF, " ")
  for (i = 1; i <= 4; i++) {
    fn = "/proc/net/" PF[i]; proto = substr(PF[i], 1, 3)
    while ((getline l < fn) > 0) {
      split(l, f, " ")
      if (f[1] == "sl" || (proto == "tcp" && f[4] != "0A") || (proto == "udp" && f[4] != "07")) continue
      p = index(f[2], ":"); if (p == 0) continue
      h = substr(f[2], 1, p - 1)
      addr = length(h) == 8 ? ip4(h) : ip6(h)
      port = hexv(substr(f[2], p + 1))
      key = proto " " addr " " port
      if (key in SEEN_PT) continue
      SEEN_PT[key] = 1; np++
      PT[np] = proto; PA[np] = addr; PN[np] = port
    }
    close(fn)
  }
  # insertion sort by proto, port, address so the list is stable across captures
  for (i = 2; i <= np; i++) {
    a1 = PT[i]; a2 = PA[i]; a3 = PN[i]; j = i - 1
    while (j >= 1 && (PT[j] > a1 || (PT[j] == a1 && (PN[j] > a3 || (PN[j] == a3 && PA[j] > a2))))) { PT[j + 1] = PT[j]; PA[j + 1] = PA[j]; PN[j + 1] = PN[j]; j-- }
    PT[j + 1] = a1; PA[j + 1] = a2; PN[j + 1] = a3
  }
  for (i = 1; i <= np; i++) printf "%s{\"proto\":\"%s\",\"address\":%s,\"port\":%s}", (i > 1 ? "," : ""), PT[i], js(PA[i]), int0(PN[i])

  # Mounts: real filesystems, tmpfs and overlay are kept (they hold /run, /tmp and container
  # roots, and a missing or changed one matters); kernel interface filesystems are left out
  # because they carry no deploy configuration and churn per container (cgroup, binfmt, ...).
  printf "],\"mounts\":["
  k = 0
  while ((getline l < "/proc/self/mounts") > 0) {
    split(l, f, " ")
    if (f[3] ~ /^(proc|sysfs|cgroup|cgroup2|devpts|devtmpfs|mqueue|debugfs|tracefs|securityfs|pstore|bpf|configfs|fusectl|hugetlbfs|autofs|binfmt_misc|efivarfs|nsfs|rpc_pipefs|selinuxfs|ramfs)$/) continue
    printf "%s{\"target\":%s,\"source\":%s,\"fstype\":%s,\"options\":%s}", (k++ ? "," : ""), js(unoct(f[2])), js(unoct(f[1])), js(f[3]), js(f[4])
  }
  close("/proc/self/mounts")

  printf "]},\"app\":{\"release\":"
  if (REL) printf "{\"path\":%s,\"target\":%s}", js(A[REL]), (ENVIRON["PL_REL_LINK"] == "1" ? js(ENVIRON["PL_REL_TARGET"]) : "null")
  else printf "null"

  printf ",\"files\":["
  for (i = 1; i <= nfile; i++) {
    x = FI[i]; path = A[x]
    kind = (x in FK) ? FK[x] : "missing"
    exists = (kind == "reg" || kind == "unreadable" || kind == "other")
    printf "%s{\"remote\":%s,\"exists\":%s,\"sha256\":%s,\"size\":%s,\"mode\":%s,\"owner\":%s,\"secret\":%s",
      (i > 1 ? "," : ""), js(path), (exists ? "true" : "false"), ((x in FSH) ? js(FSH[x]) : "null"),
      (exists && kind != "other" && FSZ[x] ~ /^[0-9]+$/ ? FSZ[x] : "null"),
      (exists && FMO[x] ~ /^[0-7]+$/ ? js(FMO[x]) : "null"), (exists && FOW[x] != "-" ? js(FOW[x]) : "null"),
      (FSEC[i] ? "true" : "false")
    note = ""
    if (kind == "missing") note = ""
    else if (kind == "dangling") note = "dangling symlink"
    else if (kind == "other") note = "not a regular file"
    else if (kind == "unreadable") note = "not readable by the agent user"
    else if (!(x in FSH)) note = "could not hash (no sha256sum, busybox or openssl?)"
    else if (FSEC[i]) note = "secret: content not captured"
    else if (FSZ[x] !~ /^[0-9]+$/) note = "size unknown (stat failed): content not captured"
    else if (FSZ[x] + 0 > 262144) note = "larger than 256 KiB: content not captured"
    else if (FNUL[x] == "1") note = "binary (NUL bytes or not UTF-8): content not captured"
    else {
      # Read once, check it is UTF-8 text without NUL, then print it escaped.
      fn = (substr(path, 1, 1) == "/") ? path : "./" path
      nl = 0; bytes = 0; bad = 0
      while ((getline l < fn) > 0) {
        L[++nl] = l; bytes += length(l) + 1
        if (!bad) { t = l; gsub(/[\001-\177]/, "", t); if (t != "" && !u8ok(l)) bad = 1 }
      }
      close(fn)
      size = FSZ[x] + 0
      if (bad || (bytes != size && bytes != size + 1)) note = "binary (NUL bytes or not UTF-8): content not captured"
      else {
        printf ",\"content\":\""
        for (j = 1; j <= nl; j++) { pesc(L[j]); if (j < nl || bytes == size) printf "%s", "\\n" }
        printf "\""
      }
      for (j = 1; j <= nl; j++) delete L[j]
    }
    if (note != "") printf ",\"note\":%s", js(note)
    printf "}"
  }

  printf "],\"process\":"
  if (PAT == "") printf "null"
  else {
    npids = 0; prss = 0; pth = 0; pfd = 0; pticks = 0
    mark_agents()
    for (i = 1; i <= BN; i++) {
      p = BP[i]
      if (!is_app(p, PAT)) continue
      PIDS = (npids++ ? PIDS "," : "") p
      prss += BR[p]; pth += BTH[p]; pfd += CFD[p]
      if (win > 0) pticks += ((p in AT) && AS[p] == BS[p]) ? BT[p] - AT[p] : BT[p]
    }
    printf "{\"pattern\":%s,\"pids\":[%s],\"rssKiB\":%s,\"cpuPct\":%.1f,\"threads\":%s,\"fds\":%s}",
      js(PAT), PIDS, int0(prss * PAGE / 1024), (win > 0 ? pticks / CLK / win * 100 : 0), int0(pth), int0(pfd)
  }

  printf ",\"health\":"
  if (!HEALTH) printf "null"
  else {
    ok = (HC ~ /^[1-5][0-9][0-9]$/)
    printf "{\"url\":%s,\"status\":%s,\"latencyMs\":%s", js(A[HEALTH]), (ok ? HC + 0 : "null"), (ok ? sprintf("%.1f", HT * 1000) : "null")
    if (!ok || HE != "") printf ",\"error\":%s", js(HE != "" ? HE : "no HTTP response")
    printf "}"
  }
  printf "}}\n"
}
