#!/bin/sh
# Standalone smoke check: Felix 7.0.5 + SCR 2.2.18 + api + onnx-proto + model + this bundle; opens a session
# through the registered InferenceBackend service and runs cnn_relu (bytes, then Graph with an extra output).
# Run after `mvn -q install -pl bundles/backend-onnxruntime` from the repository root. Not part of the Maven build.
set -e
R=${MAVEN_REPO:-$HOME/.m2/repository}
HERE=$(cd "$(dirname "$0")" && pwd)
FELIX=$R/org/apache/felix/org.apache.felix.framework/7.0.5/org.apache.felix.framework-7.0.5.jar
OUT=$(mktemp -d)
javac -cp "$FELIX" -d "$OUT" "$HERE/OsgiCheck.java"
exec java -Dpot4j.model="$HERE/../../../examples/fashion-mnist/models/cnn_relu.onnx" -cp "$FELIX:$OUT" OsgiCheck \
  $R/org/osgi/org.osgi.util.function/1.2.0/org.osgi.util.function-1.2.0.jar \
  $R/org/osgi/org.osgi.util.promise/1.3.0/org.osgi.util.promise-1.3.0.jar \
  $R/org/osgi/org.osgi.service.component/1.5.1/org.osgi.service.component-1.5.1.jar \
  $R/org/apache/felix/org.apache.felix.scr/2.2.18/org.apache.felix.scr-2.2.18.jar \
  $R/org/pot4j/org.pot4j.api/0.1.0-SNAPSHOT/org.pot4j.api-0.1.0-SNAPSHOT.jar \
  $R/org/pot4j/org.pot4j.onnx.proto/0.1.0-SNAPSHOT/org.pot4j.onnx.proto-0.1.0-SNAPSHOT.jar \
  $R/org/pot4j/org.pot4j.model/0.1.0-SNAPSHOT/org.pot4j.model-0.1.0-SNAPSHOT.jar \
  $R/org/pot4j/org.pot4j.backend.onnxruntime/0.1.0-SNAPSHOT/org.pot4j.backend.onnxruntime-0.1.0-SNAPSHOT.jar
