#!/usr/bin/env bash
# The local Hadoop stack: a real HDFS (NameNode + DataNode, WebHDFS), YARN (ResourceManager +
# NodeManager) and HiveServer2 with an embedded Derby metastore, from Apache's jars on Maven
# Central, on the machine's JDK 17.
#
#   stack/stack.sh jars     resolve the jars into the cache (no-op when cached)
#   stack/stack.sh up       start what is not running and wait until it is healthy
#   stack/stack.sh down     stop the daemons this script started (by pid file)
#   stack/stack.sh status   say what runs, its memory, and whether it is healthy
#   stack/stack.sh env      print the settings in effect
#   stack/stack.sh hive-java ARGS   run a JVM on Hive's class path (e.g. a second HiveServer2)
#
# Settings (environment):
#   AVRO_INGEST_STACK_STATE   configs, data, logs, pid files    (default: stack/.state)
#   AVRO_INGEST_CACHE         Maven repository and resolved jars (default: ~/.cache/avro-ingest)
#   AVRO_INGEST_HIVE_AUTH     HiveServer2 authentication: NOSASL (default) or NONE
#   AVRO_INGEST_HIVE_ENGINE   HiveServer2's execution engine: tez-yarn (default with YARN: Tez on
#                             YARN, an application master and task containers per session), mr
#                             (default without YARN: MapReduce) or tez (Tez local mode inside
#                             HiveServer2). Whatever the engine, the pipeline converts a batch
#                             that has others beside it as MapReduce in local mode inside
#                             HiveServer2 (stages/convert.py, Placement).
#   AVRO_INGEST_TEZ_TASKS     tasks Tez local mode runs at once (default: 1)
#   AVRO_INGEST_TEZ_SESSIONS  tez-yarn: Tez sessions HiveServer2 keeps open for its clients
#                             (default: 1; 0: each client session opens its own)
#   AVRO_INGEST_TEZ_HELD_CONTAINERS  tez-yarn: task containers an idle Tez session keeps
#                             (default: one a core)
#   AVRO_INGEST_YARN          on (default): jobs too big for Hive's local mode run in YARN
#                             containers; off: no YARN, every job runs inside HiveServer2
#   AVRO_INGEST_YARN_MEMORY_MB  memory the NodeManager offers to containers (default: 6144)
#   AVRO_INGEST_YARN_TASK_MB  one map or reduce container (default: 1536; heap 80% of it)
#   AVRO_INGEST_JAVA_HOME     a JDK 17 (default: found under /usr/lib/jvm)
#   AVRO_INGEST_PYTHON        the Python that runs the HiveServer2 readiness query
#   AVRO_INGEST_STACK_TIMEOUT seconds to wait for each service (default: 120)
#   AVRO_INGEST_HIVESERVER2_HEAP  HiveServer2's -Xmx (default: 2g)
#   AVRO_INGEST_<DAEMON>_PORT ports, e.g. AVRO_INGEST_NAMENODE_RPC_PORT (defaults below)
set -euo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$STACK_DIR")
# shellcheck source=versions.env
source "$STACK_DIR/versions.env"

STATE=${AVRO_INGEST_STACK_STATE:-$STACK_DIR/.state}
CACHE=${AVRO_INGEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/avro-ingest}
HIVE_AUTH=${AVRO_INGEST_HIVE_AUTH:-NOSASL}
YARN=${AVRO_INGEST_YARN:-on}
case "$YARN" in on|off) ;; *) echo "[stack] error: AVRO_INGEST_YARN must be on or off, not '$YARN'" >&2; exit 2 ;; esac
# Tez on YARN measured fastest for a lone large batch, and the pipeline keeps the others inside
# HiveServer2 (bench/RESULTS.md); without YARN, MapReduce.
if [ "$YARN" = on ]; then HIVE_ENGINE=${AVRO_INGEST_HIVE_ENGINE:-tez-yarn}; else HIVE_ENGINE=${AVRO_INGEST_HIVE_ENGINE:-mr}; fi
TEZ_TASKS=${AVRO_INGEST_TEZ_TASKS:-1}
case "$HIVE_ENGINE" in mr|tez|tez-yarn) ;; *) echo "[stack] error: AVRO_INGEST_HIVE_ENGINE must be mr, tez or tez-yarn, not '$HIVE_ENGINE'" >&2; exit 2 ;; esac
# Hive's own name for the engine, and whether Tez runs inside HiveServer2.
HIVE_EXECUTION_ENGINE=${HIVE_ENGINE%-yarn}
# HiveServer2's pool of Tez sessions: on (queue "default") only for tez-yarn with sessions > 0.
TEZ_LOCAL_MODE=true TEZ_SESSIONS=0 TEZ_HELD=0 TEZ_POOL=false TEZ_POOL_QUEUES=""
if [ "$HIVE_ENGINE" = tez-yarn ]; then
  TEZ_LOCAL_MODE=false
  TEZ_SESSIONS=${AVRO_INGEST_TEZ_SESSIONS:-1}
  TEZ_HELD=${AVRO_INGEST_TEZ_HELD_CONTAINERS:-$(nproc)}
  case "$TEZ_SESSIONS$TEZ_HELD" in *[!0-9]*|'') echo "[stack] error: AVRO_INGEST_TEZ_SESSIONS and AVRO_INGEST_TEZ_HELD_CONTAINERS must be whole numbers" >&2; exit 2 ;; esac
  if [ "$TEZ_SESSIONS" -gt 0 ]; then TEZ_POOL=true TEZ_POOL_QUEUES=default; fi
fi
TIMEOUT=${AVRO_INGEST_STACK_TIMEOUT:-120}
[ "$HIVE_ENGINE" != tez-yarn ] || [ "$YARN" = on ] || { echo "[stack] error: AVRO_INGEST_HIVE_ENGINE=tez-yarn needs AVRO_INGEST_YARN=on" >&2; exit 2; }
YARN_MEMORY_MB=${AVRO_INGEST_YARN_MEMORY_MB:-6144}
YARN_TASK_MB=${AVRO_INGEST_YARN_TASK_MB:-1536}
# MapReduce local tasks run inside HiveServer2: its heap holds the batches converting at once.
HIVESERVER2_HEAP=${AVRO_INGEST_HIVESERVER2_HEAP:-2g}
PYTHON=${AVRO_INGEST_PYTHON:-$REPO_DIR/.venv/bin/python}

NAMENODE_RPC_PORT=${AVRO_INGEST_NAMENODE_RPC_PORT:-8020}
NAMENODE_HTTP_PORT=${AVRO_INGEST_NAMENODE_HTTP_PORT:-9870}
DATANODE_DATA_PORT=${AVRO_INGEST_DATANODE_DATA_PORT:-9866}
DATANODE_HTTP_PORT=${AVRO_INGEST_DATANODE_HTTP_PORT:-9864}
DATANODE_IPC_PORT=${AVRO_INGEST_DATANODE_IPC_PORT:-9867}
HIVESERVER2_PORT=${AVRO_INGEST_HIVESERVER2_PORT:-10000}
HIVESERVER2_WEBUI_PORT=${AVRO_INGEST_HIVESERVER2_WEBUI_PORT:-10002}
RESOURCEMANAGER_PORT=${AVRO_INGEST_RESOURCEMANAGER_PORT:-8032}
RESOURCEMANAGER_SCHEDULER_PORT=${AVRO_INGEST_RESOURCEMANAGER_SCHEDULER_PORT:-8030}
RESOURCEMANAGER_TRACKER_PORT=${AVRO_INGEST_RESOURCEMANAGER_TRACKER_PORT:-8031}
RESOURCEMANAGER_ADMIN_PORT=${AVRO_INGEST_RESOURCEMANAGER_ADMIN_PORT:-8033}
RESOURCEMANAGER_WEB_PORT=${AVRO_INGEST_RESOURCEMANAGER_WEB_PORT:-8088}
NODEMANAGER_PORT=${AVRO_INGEST_NODEMANAGER_PORT:-8041}
NODEMANAGER_LOCALIZER_PORT=${AVRO_INGEST_NODEMANAGER_LOCALIZER_PORT:-8040}
NODEMANAGER_WEB_PORT=${AVRO_INGEST_NODEMANAGER_WEB_PORT:-8042}
SHUFFLE_PORT=${AVRO_INGEST_SHUFFLE_PORT:-13562}
JOBHISTORY_PORT=${AVRO_INGEST_JOBHISTORY_PORT:-10020}
JVM_DIR=${AVRO_INGEST_JVM_DIR:-/usr/lib/jvm}
MVN=${AVRO_INGEST_MVN:-mvn}

HDFS_JARS=$CACHE/jars/hdfs-$HADOOP_VERSION
HIVE_JARS=$CACHE/jars/hive-$HIVE_VERSION-hadoop-$HADOOP_VERSION-avro-$AVRO_VERSION-xz-$XZ_VERSION-zstd-$ZSTD_JNI_VERSION
TOOLS_JARS=$CACHE/jars/avro-tools-$AVRO_TOOLS_VERSION
YARN_JARS=$CACHE/jars/yarn-$HADOOP_VERSION
TEZ_JARS=$CACHE/jars/tez-$TEZ_VERSION-roaringbitmap-$ROARINGBITMAP_VERSION-reload4j-$RELOAD4J_VERSION

NAMENODE_CLASS=org.apache.hadoop.hdfs.server.namenode.NameNode
DATANODE_CLASS=org.apache.hadoop.hdfs.server.datanode.DataNode
HIVESERVER2_CLASS=org.apache.hive.service.server.HiveServer2
RESOURCEMANAGER_CLASS=org.apache.hadoop.yarn.server.resourcemanager.ResourceManager
NODEMANAGER_CLASS=org.apache.hadoop.yarn.server.nodemanager.NodeManager

# JDK 17 needs these for Hadoop and Hive: without them WebHDFS calls fail with
# InaccessibleObjectException and HiveServer2 hangs at start.
JVM_OPENS=()
for pkg in java.lang java.lang.reflect java.lang.invoke java.io java.net java.nio java.util \
    java.util.concurrent java.util.concurrent.atomic java.util.regex java.time java.text \
    java.math java.security jdk.internal.misc sun.nio.ch sun.nio.cs sun.security.action \
    sun.util.calendar; do
  JVM_OPENS+=("--add-opens=java.base/$pkg=ALL-UNNAMED")
done
JVM_OPENS+=(--add-opens=java.sql/java.sql=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED)

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

find_java_home() {
  local candidate
  for candidate in "${AVRO_INGEST_JAVA_HOME:-}" "${JAVA_HOME:-}" "$JVM_DIR"/java-17-openjdk-*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    if "$candidate/bin/java" -version 2>&1 | head -1 | grep -q '"17\.'; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

require_java() {
  # A JDK 25 makes the NameNode exit with "getSubject is not supported": insist on 17.
  JAVA_HOME=$(find_java_home) || die "no JDK 17 found (checked \$AVRO_INGEST_JAVA_HOME, \$JAVA_HOME, $JVM_DIR/java-17-openjdk-*). Install it: apt-get install -y openjdk-17-jdk-headless"
  export JAVA_HOME
  JAVA=$JAVA_HOME/bin/java
}

require_maven() {
  command -v "$MVN" >/dev/null 2>&1 || die "Maven (mvn) is not installed. Install it: apt-get install -y maven"
}

# Resolve one pom's dependencies into a jar folder of the cache, once per set of versions.
resolve_jars() {
  local pom_dir=$1 out=$2
  [ -f "$out/.complete" ] && return 0
  require_maven
  require_java
  say "resolving $(basename "$out") from Maven Central into $out"
  rm -rf "$out.partial"
  local started=$SECONDS
  if ! (cd "$pom_dir" && "$MVN" -B -q -s "$STACK_DIR/maven/settings.xml" \
      -Dmaven.repo.local="$CACHE/m2" \
      -Dhadoop.version="$HADOOP_VERSION" -Dhive.version="$HIVE_VERSION" \
      -Davro.version="$AVRO_VERSION" -Dxz.version="$XZ_VERSION" -Dzstd-jni.version="$ZSTD_JNI_VERSION" -Davro.tools.version="$AVRO_TOOLS_VERSION" \
      -Dtez.version="$TEZ_VERSION" -Droaringbitmap.version="$ROARINGBITMAP_VERSION" \
      -Dreload4j.version="$RELOAD4J_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$out.partial" \
      > "$CACHE/mvn-$(basename "$out").log" 2>&1); then
    tail -n 30 "$CACHE/mvn-$(basename "$out").log" >&2
    die "Maven could not resolve $(basename "$out") (log: $CACHE/mvn-$(basename "$out").log)"
  fi
  mv "$out.partial" "$out"
  touch "$out/.complete"
  say "resolved $(find "$out" -name '*.jar' | wc -l) jars, $(du -sh "$out" | cut -f1), in $((SECONDS - started)) s"
}

cmd_jars() {
  mkdir -p "$CACHE/jars"
  resolve_jars "$STACK_DIR/maven/hdfs" "$HDFS_JARS"
  resolve_jars "$STACK_DIR/maven/hive" "$HIVE_JARS"
  resolve_jars "$STACK_DIR/maven/tools" "$TOOLS_JARS"
  if [ "$YARN" = on ]; then resolve_jars "$STACK_DIR/maven/yarn" "$YARN_JARS"; fi
  if [ "$HIVE_EXECUTION_ENGINE" = tez ]; then resolve_jars "$STACK_DIR/maven/tez" "$TEZ_JARS"; fi
}

# --- configuration -------------------------------------------------------------------------

render_conf() {
  local conf=$STATE/conf
  mkdir -p "$conf" "$STATE/logs" "$STATE/run" "$STATE/tmp" "$STATE/hive/scratch" "$STATE/tez" \
    "$STATE/hive/resources" "$STATE/hive/querylog" "$STATE/hive/operation_logs" \
    "$STATE/yarn/local" "$STATE/yarn/logs"
  local framework=local template
  [ "$YARN" = on ] && framework=yarn
  # Containers: Hive's jars first (Avro 1.11 and Hive's own versions win over Hadoop's), then
  # what only YARN has (the MapReduce application master, the shuffle).
  local container_classpath="$conf,$HIVE_JARS/*,$YARN_JARS/*"
  local task_heap=$((YARN_TASK_MB * 4 / 5))
  for template in "$STACK_DIR"/conf/*.in; do
    sed -e "s|@STATE@|$STATE|g" -e "s|@USER@|$(id -un)|g" -e "s|@HIVE_AUTH@|$HIVE_AUTH|g" \
      -e "s|@HIVE_ENGINE@|$HIVE_EXECUTION_ENGINE|g" -e "s|@TEZ_TASKS@|$TEZ_TASKS|g" \
      -e "s|@TEZ_HELD@|$TEZ_HELD|g" -e "s|@TEZ_POOL@|$TEZ_POOL|g" -e "s|@TEZ_POOL_QUEUES@|$TEZ_POOL_QUEUES|g" \
      -e "s|@TEZ_POOL_SIZE@|$(( TEZ_SESSIONS > 0 ? TEZ_SESSIONS : 1 ))|g" \
      -e "s|@TEZ_LOCAL_MODE@|$TEZ_LOCAL_MODE|g" -e "s|@TEZ_CLASSPATH@|$STATE/conf:$HIVE_JARS/*:$TEZ_JARS/*:$YARN_JARS/*|g" \
      -e "s|@NAMENODE_RPC_PORT@|$NAMENODE_RPC_PORT|g" \
      -e "s|@NAMENODE_HTTP_PORT@|$NAMENODE_HTTP_PORT|g" \
      -e "s|@DATANODE_DATA_PORT@|$DATANODE_DATA_PORT|g" \
      -e "s|@DATANODE_HTTP_PORT@|$DATANODE_HTTP_PORT|g" \
      -e "s|@DATANODE_IPC_PORT@|$DATANODE_IPC_PORT|g" \
      -e "s|@HIVESERVER2_PORT@|$HIVESERVER2_PORT|g" \
      -e "s|@HIVESERVER2_WEBUI_PORT@|$HIVESERVER2_WEBUI_PORT|g" \
      -e "s|@RM_PORT@|$RESOURCEMANAGER_PORT|g" \
      -e "s|@RM_SCHEDULER_PORT@|$RESOURCEMANAGER_SCHEDULER_PORT|g" \
      -e "s|@RM_TRACKER_PORT@|$RESOURCEMANAGER_TRACKER_PORT|g" \
      -e "s|@RM_ADMIN_PORT@|$RESOURCEMANAGER_ADMIN_PORT|g" \
      -e "s|@RM_WEB_PORT@|$RESOURCEMANAGER_WEB_PORT|g" \
      -e "s|@NM_PORT@|$NODEMANAGER_PORT|g" \
      -e "s|@NM_LOCALIZER_PORT@|$NODEMANAGER_LOCALIZER_PORT|g" \
      -e "s|@NM_WEB_PORT@|$NODEMANAGER_WEB_PORT|g" \
      -e "s|@NM_MEMORY_MB@|$YARN_MEMORY_MB|g" -e "s|@NM_VCORES@|$(nproc)|g" \
      -e "s|@MAX_ALLOCATION_MB@|$(( YARN_MEMORY_MB > YARN_TASK_MB ? YARN_MEMORY_MB : YARN_TASK_MB ))|g" \
      -e "s|@TASK_MEMORY_MB@|$YARN_TASK_MB|g" -e "s|@TASK_HEAP_MB@|$task_heap|g" \
      -e "s|@SHUFFLE_PORT@|$SHUFFLE_PORT|g" -e "s|@JOBHISTORY_PORT@|$JOBHISTORY_PORT|g" \
      -e "s|@MR_FRAMEWORK@|$framework|g" \
      -e "s|@CONTAINER_CLASSPATH@|$container_classpath|g" \
      -e "s|@JVM_OPENS@|${JVM_OPENS[*]}|g" \
      "$template" > "$conf/$(basename "${template%.in}")"
  done
}

# --- processes -----------------------------------------------------------------------------

pid_file() { echo "$STATE/run/$1.pid"; }

# The pid in a daemon's pid file, if that process is alive and really is that daemon of this
# state folder; a stale pid file (crash, reboot, reused pid) is removed.
live_pid() {
  local name=$1 class=$2 file pid
  file=$(pid_file "$name")
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
      && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$class" \
      && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "avro-ingest.state=$STATE"; then
    echo "$pid"; return 0
  fi
  say "removing stale pid file of $name (pid $pid is not running)" >&2
  rm -f "$file"
  return 1
}

check_port_free() {
  local port=$1 daemon=$2 holder
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    holder=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1)
    die "port $port, needed by $daemon, is already in use by ${holder:-another process} (stop it, or run 'make stack-down' if it is a stack started from another folder)"
  fi
}

start_daemon() {
  local name=$1 class=$2 classpath=$3 heap=$4
  shift 4
  local log=$STATE/logs/$name.log
  # Rotate the previous run's log so that an error shown is this run's.
  [ -f "$log" ] && mv "$log" "$log.1"
  # setsid: the daemon must outlive the shell that started it (make, CI steps).
  setsid "$JAVA" -Xmx"$heap" -XX:+UseG1GC -Davro-ingest.state="$STATE" \
    -Djava.io.tmpdir="$STATE/tmp" -Duser.timezone=UTC -Dhadoop.log.dir="$STATE/logs" \
    "${JVM_OPENS[@]}" "$@" -cp "$classpath" "$class" \
    > "$log" 2>&1 < /dev/null &
  echo $! > "$(pid_file "$name")"
  say "started $name (pid $!, log $log)"
}

# Fail with the end of a daemon's log when it died while we waited for it.
assert_alive() {
  local name=$1 class=$2
  if ! live_pid "$name" "$class" > /dev/null 2>&1; then
    echo "----- last lines of $STATE/logs/$name.log -----" >&2
    tail -n 40 "$STATE/logs/$name.log" >&2 || true
    die "$name died during start"
  fi
}

# The DataNode answers on its own HTTP port too: after a DataNode restart the NameNode still
# counts the old one as live until its heartbeats lapse, while WebHDFS writes go to the new one.
namenode_ready() {
  curl -sf "http://localhost:$DATANODE_HTTP_PORT/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo" >/dev/null 2>&1 || return 1
  curl -sf "http://localhost:$NAMENODE_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState" 2>/dev/null \
    | grep -q '"NumLiveDataNodes" *: *[1-9]' || return 1
  curl -sf "http://localhost:$NAMENODE_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo" 2>/dev/null \
    | grep -q '"Safemode" *: *""'
}

hiveserver2_ready() {
  "$PYTHON" "$STACK_DIR/hs2_ping.py" --port "$HIVESERVER2_PORT" --auth "$HIVE_AUTH" >/dev/null 2>&1
}

# Healthy YARN: the NodeManager registered with the ResourceManager, offering its memory and
# vcores. A node that registered unhealthy (a full disk, say) runs nothing.
yarn_metrics() { curl -sf "http://localhost:$RESOURCEMANAGER_WEB_PORT/ws/v1/cluster/metrics" 2>/dev/null; }
yarn_ready() {
  [ "$YARN" = on ] || return 0
  yarn_metrics | grep -q '"activeNodes" *: *[1-9]'
}
yarn_node_summary() {
  { yarn_metrics || echo "{}"; } | "$PYTHON" -c 'import json, sys; m = json.load(sys.stdin)["clusterMetrics"]; print("%s active node(s), %s MB and %s vcores, %s unhealthy" % (m["activeNodes"], m["totalMB"], m["totalVirtualCores"], m["unhealthyNodes"]))' 2>/dev/null
}
# Why the NodeManager is not an active node: its own health report, when it has one.
# Tez sessions a HiveServer2 that died left open on YARN: each application master keeps its
# held containers (4 GB of the NodeManager's 6 GB) until its idle timeout, and the next
# HiveServer2's session could not get its own. Only this stack's HiveServer2 starts Tez apps.
kill_leftover_tez_sessions() {
  local apps id
  apps=$(curl -sf "http://localhost:$RESOURCEMANAGER_WEB_PORT/ws/v1/cluster/apps?applicationTypes=TEZ&states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING" 2>/dev/null) || return 0
  for id in $(grep -o '"id":"application_[0-9_]*"' <<< "$apps" | cut -d'"' -f4); do
    say "killing $id, a Tez session a stopped HiveServer2 left on YARN"
    curl -sf -X PUT -H 'Content-Type: application/json' -d '{"state":"KILLED"}' \
      "http://localhost:$RESOURCEMANAGER_WEB_PORT/ws/v1/cluster/apps/$id/state?user.name=$(id -un)" > /dev/null \
      || say "could not kill $id: it holds its containers until its idle timeout"
  done
}
yarn_node_problem() {
  curl -sf "http://localhost:$RESOURCEMANAGER_WEB_PORT/ws/v1/cluster/nodes?states=UNHEALTHY,LOST,DECOMMISSIONED,SHUTDOWN" 2>/dev/null \
    | "$PYTHON" -c 'import json, sys; nodes = (json.load(sys.stdin).get("nodes") or {}).get("node") or []; print("; ".join("%s %s: %s" % (n["id"], n["state"], n.get("healthReport") or "no report") for n in nodes))' 2>/dev/null
}
wait_for_node() {
  local started=$SECONDS problem
  until yarn_ready; do
    assert_alive resourcemanager "$RESOURCEMANAGER_CLASS"
    assert_alive nodemanager "$NODEMANAGER_CLASS"
    problem=$(yarn_node_problem || true)
    if [ -n "$problem" ] || (( SECONDS - started > TIMEOUT )); then
      echo "----- last lines of $STATE/logs/nodemanager.log -----" >&2
      grep -E "ERROR|WARN|Exception" "$STATE/logs/nodemanager.log" | tail -n 15 >&2 || true
      die "the NodeManager did not register with the ResourceManager as a healthy node after $((SECONDS - started)) s${problem:+ ($problem)}"
    fi
    sleep 1
  done
  say "YARN (NodeManager registered: $(yarn_node_summary)) ready after $((SECONDS - started)) s"
}

stack_ready() { namenode_ready && yarn_ready && hiveserver2_ready; }

wait_until() {
  local what=$1 check=$2 started=$SECONDS
  shift 2
  until "$check"; do
    local pair
    for pair in "$@"; do assert_alive "${pair%%:*}" "${pair#*:}"; done
    if (( SECONDS - started > TIMEOUT )); then
      for pair in "$@"; do tail -n 20 "$STATE/logs/${pair%%:*}.log" >&2 || true; done
      die "$what was not ready after $TIMEOUT s"
    fi
    sleep 1
  done
  say "$what ready after $((SECONDS - started)) s"
}

hdfs_classpath() { echo "$STATE/conf:$HDFS_JARS/*"; }
yarn_classpath() { echo "$STATE/conf:$YARN_JARS/*"; }
hive_classpath() {
  if [ "$HIVE_EXECUTION_ENGINE" = tez ]; then echo "$STATE/conf:$HIVE_JARS/*:$TEZ_JARS/*"; else echo "$STATE/conf:$HIVE_JARS/*"; fi
}

# `hdfs dfsadmin`: quotas and safe mode, for the fault tests.
hdfs_dfsadmin() {
  "$JAVA" -Xmx256m "${JVM_OPENS[@]}" -Dhadoop.log.dir="$STATE/logs" -cp "$(hdfs_classpath)" \
    org.apache.hadoop.hdfs.tools.DFSAdmin "$@"
}

hdfs_dfs() {
  "$JAVA" -Xmx256m "${JVM_OPENS[@]}" -Dhadoop.log.dir="$STATE/logs" -cp "$(hdfs_classpath)" \
    org.apache.hadoop.fs.FsShell "$@"
}

cmd_up() {
  local started=$SECONDS
  require_java
  [ -x "$PYTHON" ] || die "no Python at $PYTHON to check HiveServer2 with (run 'make venv', or set AVRO_INGEST_PYTHON)"
  # A running HiveServer2 reads the rendered configuration again for each new session: it must
  # not change under it.
  local running_engine
  if live_pid hiveserver2 "$HIVESERVER2_CLASS" > /dev/null && [ -f "$STATE/run/hive-engine" ]; then
    running_engine=$(cat "$STATE/run/hive-engine")
    [ "$running_engine" = "$HIVE_ENGINE" ] \
      || die "HiveServer2 runs with AVRO_INGEST_HIVE_ENGINE=$running_engine, not $HIVE_ENGINE: run 'make stack-down' first, then start again"
  fi
  cmd_jars
  render_conf

  local nn_pid="" dn_pid="" hs2_pid="" rm_pid="" nm_pid=""
  nn_pid=$(live_pid namenode "$NAMENODE_CLASS") || true
  dn_pid=$(live_pid datanode "$DATANODE_CLASS") || true
  hs2_pid=$(live_pid hiveserver2 "$HIVESERVER2_CLASS") || true
  rm_pid=$(live_pid resourcemanager "$RESOURCEMANAGER_CLASS") || true
  nm_pid=$(live_pid nodemanager "$NODEMANAGER_CLASS") || true
  if [ "$YARN" = off ] && { [ -n "$rm_pid" ] || [ -n "$nm_pid" ]; }; then
    die "YARN runs, but AVRO_INGEST_YARN=off: run 'make stack-down' first, then start again"
  fi
  local yarn_up=yes
  [ "$YARN" = off ] || { [ -n "$rm_pid" ] && [ -n "$nm_pid" ]; } || yarn_up=""
  if [ -n "$nn_pid" ] && [ -n "$dn_pid" ] && [ -n "$hs2_pid" ] && [ -n "$yarn_up" ]; then
    # All run: start nothing; a busy HiveServer2 may take a moment to answer.
    wait_until "the running stack" stack_ready "namenode:$NAMENODE_CLASS" \
      "datanode:$DATANODE_CLASS" "hiveserver2:$HIVESERVER2_CLASS" > /dev/null
    say "already up (NameNode $nn_pid, DataNode $dn_pid, HiveServer2 $hs2_pid${rm_pid:+, ResourceManager $rm_pid, NodeManager $nm_pid}): nothing to do"
    return 0
  fi

  local port
  if [ -z "$nn_pid" ]; then
    for port in "$NAMENODE_RPC_PORT" "$NAMENODE_HTTP_PORT"; do check_port_free "$port" NameNode; done
  fi
  if [ -z "$dn_pid" ]; then
    for port in "$DATANODE_DATA_PORT" "$DATANODE_HTTP_PORT" "$DATANODE_IPC_PORT"; do
      check_port_free "$port" DataNode
    done
  fi
  if [ -z "$hs2_pid" ]; then
    for port in "$HIVESERVER2_PORT" "$HIVESERVER2_WEBUI_PORT"; do check_port_free "$port" HiveServer2; done
  fi
  if [ "$YARN" = on ] && [ -z "$rm_pid" ]; then
    for port in "$RESOURCEMANAGER_PORT" "$RESOURCEMANAGER_SCHEDULER_PORT" "$RESOURCEMANAGER_TRACKER_PORT" \
        "$RESOURCEMANAGER_ADMIN_PORT" "$RESOURCEMANAGER_WEB_PORT"; do
      check_port_free "$port" ResourceManager
    done
  fi
  if [ "$YARN" = on ] && [ -z "$nm_pid" ]; then
    for port in "$NODEMANAGER_PORT" "$NODEMANAGER_LOCALIZER_PORT" "$NODEMANAGER_WEB_PORT" "$SHUFFLE_PORT"; do
      check_port_free "$port" NodeManager
    done
  fi

  if [ ! -f "$STATE/dfs/name/current/VERSION" ]; then
    say "formatting the NameNode (first start of this state folder)"
    "$JAVA" -Xmx256m "${JVM_OPENS[@]}" -Dhadoop.log.dir="$STATE/logs" -cp "$(hdfs_classpath)" \
      "$NAMENODE_CLASS" -format -nonInteractive -force > "$STATE/logs/format.log" 2>&1 \
      || { tail -n 30 "$STATE/logs/format.log" >&2; die "formatting the NameNode failed"; }
  fi

  [ -n "$nn_pid" ] || start_daemon namenode "$NAMENODE_CLASS" "$(hdfs_classpath)" 768m
  [ -n "$dn_pid" ] || start_daemon datanode "$DATANODE_CLASS" "$(hdfs_classpath)" 512m
  wait_until "HDFS (NameNode with a live DataNode, out of safe mode)" namenode_ready \
    "namenode:$NAMENODE_CLASS" "datanode:$DATANODE_CLASS"

  if [ ! -f "$STATE/run/hdfs-dirs.done" ]; then
    hdfs_dfs -mkdir -p /user/hive/warehouse /user/hive/external /tmp/hive /data \
      > "$STATE/logs/hdfs-dirs.log" 2>&1 || { cat "$STATE/logs/hdfs-dirs.log" >&2; die "could not create Hive's folders on HDFS"; }
    hdfs_dfs -chmod -R 777 /tmp /user /data >> "$STATE/logs/hdfs-dirs.log" 2>&1 || true
    touch "$STATE/run/hdfs-dirs.done"
  fi

  if [ "$YARN" = on ]; then
    [ -n "$rm_pid" ] || start_daemon resourcemanager "$RESOURCEMANAGER_CLASS" "$(yarn_classpath)" 512m \
      -Dyarn.log.dir="$STATE/logs"
    wait_until "the ResourceManager (web $RESOURCEMANAGER_WEB_PORT)" yarn_metrics \
      "resourcemanager:$RESOURCEMANAGER_CLASS" > /dev/null
    [ -n "$nm_pid" ] || start_daemon nodemanager "$NODEMANAGER_CLASS" "$(yarn_classpath)" 512m \
      -Dyarn.log.dir="$STATE/logs"
    wait_for_node
  fi

  if [ -z "$hs2_pid" ]; then
    [ "$HIVE_ENGINE" != tez-yarn ] || kill_leftover_tez_sessions
    # Derby writes derby.log into the working folder: keep it in the state folder.
    # MapReduce local tasks log from threads a query starts: with the query's log context
    # inherited, their errors (the cause behind "return code 2") reach the operation log that
    # clients fetch.
    (cd "$STATE" && start_daemon hiveserver2 "$HIVESERVER2_CLASS" "$(hive_classpath)" "$HIVESERVER2_HEAP" \
      -Dhive.log.dir="$STATE/logs" -Dhive.log.file=hiveserver2-hive.log \
      -Dderby.stream.error.file="$STATE/logs/derby.log" \
      -Dlog4j2.formatMsgNoLookups=true -Dlog4j2.isThreadContextMapInheritable=true)
    echo "$HIVE_ENGINE" > "$STATE/run/hive-engine"
  fi
  wait_until "HiveServer2 (answers SELECT 1, auth $HIVE_AUTH)" hiveserver2_ready \
    "hiveserver2:$HIVESERVER2_CLASS"
  echo "$HIVE_AUTH" > "$STATE/run/hive-auth"
  local yarn_said="MapReduce inside HiveServer2 (no YARN)"
  [ "$YARN" = on ] && yarn_said="YARN http://localhost:$RESOURCEMANAGER_WEB_PORT"
  say "up in $((SECONDS - started)) s: HDFS hdfs://localhost:$NAMENODE_RPC_PORT, WebHDFS http://localhost:$NAMENODE_HTTP_PORT, $yarn_said, HiveServer2 localhost:$HIVESERVER2_PORT ($HIVE_AUTH)"
}

stop_daemon() {
  local name=$1 class=$2 pid waited=0
  pid=$(live_pid "$name" "$class") || { say "$name is not running"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && (( waited < 30 )); do sleep 0.5; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) ignored SIGTERM for 15 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
  say "stopped $name (pid $pid)"
}

# Container JVMs (application masters, tasks) of this state folder's NodeManager: they run in
# its local folders, which their command lines name.
stop_containers() {
  local pids
  pids=$(pgrep -f -- "$STATE/yarn/local/" || true)
  [ -n "$pids" ] || return 0
  say "stopping container JVMs left by the NodeManager: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  sleep 2
  kill -KILL $pids 2>/dev/null || true
}

cmd_down() {
  # Only the processes named in our pid files, newest service first.
  stop_daemon hiveserver2 "$HIVESERVER2_CLASS"
  # The NodeManager before the ResourceManager; then any container JVM the NodeManager left.
  stop_daemon nodemanager "$NODEMANAGER_CLASS"
  stop_daemon resourcemanager "$RESOURCEMANAGER_CLASS"
  stop_containers
  stop_daemon datanode "$DATANODE_CLASS"
  stop_daemon namenode "$NAMENODE_CLASS"
}

cmd_status() {
  local healthy=0 name class pid rss total=0
  local daemons=("namenode:$NAMENODE_CLASS" "datanode:$DATANODE_CLASS")
  [ "$YARN" = on ] && daemons+=("resourcemanager:$RESOURCEMANAGER_CLASS" "nodemanager:$NODEMANAGER_CLASS")
  daemons+=("hiveserver2:$HIVESERVER2_CLASS")
  for pair in "${daemons[@]}"; do
    name=${pair%%:*}; class=${pair#*:}
    if pid=$(live_pid "$name" "$class"); then
      rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
      total=$((total + rss))
      printf '%-16s running  pid %-8s %5s MB resident\n' "$name" "$pid" "$rss"
    else
      printf '%-16s stopped\n' "$name"; healthy=1
    fi
  done
  # One JMX scrape can miss while the NameNode is busy with a load: ask up to three times.
  if namenode_ready || { sleep 1; namenode_ready; } || { sleep 1; namenode_ready; }; then
    echo "hdfs         healthy (live DataNode, safe mode off)"
  else
    echo "hdfs         not healthy"; healthy=1
  fi
  if [ "$YARN" = on ]; then
    if yarn_ready; then echo "yarn         healthy ($(yarn_node_summary))"; else echo "yarn         not healthy ($(yarn_node_problem || true))"; healthy=1; fi
  fi
  if [ -x "$PYTHON" ] && hiveserver2_ready; then echo "hiveserver2  healthy (SELECT 1, auth $HIVE_AUTH)"; else echo "hiveserver2  not healthy"; healthy=1; fi
  echo "total        $total MB resident"
  return $healthy
}

cmd_env() {
  echo "HADOOP_VERSION=$HADOOP_VERSION"
  echo "HIVE_VERSION=$HIVE_VERSION"
  echo "STATE=$STATE"
  echo "CACHE=$CACHE"
  echo "HIVE_AUTH=$HIVE_AUTH"
  echo "HIVE_ENGINE=$HIVE_ENGINE"
  echo "YARN=$YARN"
  if [ "$YARN" = on ]; then echo "YARN_JARS=$YARN_JARS"; echo "RESOURCEMANAGER_WEB_URL=http://localhost:$RESOURCEMANAGER_WEB_PORT"; fi
  if [ "$HIVE_EXECUTION_ENGINE" = tez ]; then echo "TEZ_JARS=$TEZ_JARS"; echo "TEZ_TASKS=$TEZ_TASKS"; fi
  if [ "$HIVE_ENGINE" = tez-yarn ]; then echo "TEZ_SESSIONS=$TEZ_SESSIONS"; echo "TEZ_HELD_CONTAINERS=$TEZ_HELD"; fi
  echo "HDFS_JARS=$HDFS_JARS"
  echo "HIVE_JARS=$HIVE_JARS"
  echo "AVRO_TOOLS_JAR=$(ls "$TOOLS_JARS"/avro-tools-*.jar 2>/dev/null | head -1)"
  echo "WEBHDFS_URL=http://localhost:$NAMENODE_HTTP_PORT"
  echo "HIVESERVER2_PORT=$HIVESERVER2_PORT"
}

case "${1:-}" in
  jars) cmd_jars ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  hdfs) require_java; shift; hdfs_dfs "$@" ;;
  dfsadmin) require_java; shift; hdfs_dfsadmin "$@" ;;
  # Hive's class path and the JDK 17 options, for a JVM of Hive's own (tests start a second
  # HiveServer2 with SQL standard authorization this way).
  hive-java) require_java; shift; exec "$JAVA" "${JVM_OPENS[@]}" -Duser.timezone=UTC -cp "$(hive_classpath)" "$@" ;;
  *) echo "usage: $0 {jars|up|down|status|env|hdfs ARGS...|dfsadmin ARGS...|hive-java ARGS...}" >&2; exit 2 ;;
esac
