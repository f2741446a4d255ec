#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing:
#   openjdk-17-jdk-headless  runs HDFS and HiveServer2 (Hive 4.0.1 and Hadoop 3.3.6 need 17)
#   maven                    resolves the stack's jars from Maven Central
#   libkrb5-dev              lets pip build gssapi, which the hdfs provider requires
#   chromium                 the browser tests drive the Airflow UI in it (with Playwright)
#   postgresql               Airflow's metadata database under its services (a server of
#                            the Airflow home's own; the Debian cluster is not used)
#   python3-venv, curl, iproute2 (ss), procps
set -euo pipefail
wanted=(openjdk-17-jdk-headless maven libkrb5-dev chromium postgresql python3-venv curl iproute2 procps)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# A JDK 17 installed by other means (not Debian's package) is fine.
if [[ " ${missing[*]} " == *" openjdk-17-jdk-headless "* ]] && ls /usr/lib/jvm/java-17-* >/dev/null 2>&1; then
  missing=("${missing[@]/openjdk-17-jdk-headless}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] system packages present"
  exit 0
fi
echo "[deps] installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
