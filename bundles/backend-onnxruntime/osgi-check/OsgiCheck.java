import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.*;
import org.apache.felix.framework.Felix;
import org.osgi.framework.*;

/** Starts Felix with the given bundles, opens a session on the ONNX backend service and runs cnn_relu once. */
public class OsgiCheck {
    public static void main(String[] args) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, Files.createTempDirectory("felix").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Felix felix = new Felix(config);
        felix.start();
        BundleContext context = felix.getBundleContext();
        List<Bundle> bundles = new ArrayList<>();
        for (String jar : args) bundles.add(context.installBundle(new File(jar).toURI().toString()));
        for (Bundle b : bundles) if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) b.start();
        Thread.sleep(500);
        for (Bundle b : bundles) System.out.println(b.getSymbolicName() + " state=" + (b.getState() == Bundle.ACTIVE ? "ACTIVE" : b.getState()));
        ServiceReference<?>[] refs = context.getServiceReferences("org.pot4j.api.backend.InferenceBackend", "(pot4j.backend=onnxruntime)");
        if (refs == null) throw new IllegalStateException("no InferenceBackend service");
        Object backend = context.getService(refs[0]);
        Bundle api = Arrays.stream(context.getBundles()).filter(b -> "org.pot4j.api".equals(b.getSymbolicName())).findFirst().get();
        Class<?> optionsClass = api.loadClass("org.pot4j.api.backend.SessionOptions");
        Class<?> tensorClass = api.loadClass("org.pot4j.api.tensor.Tensor");
        Object options = optionsClass.getMethod("defaults").invoke(null);
        byte[] model = Files.readAllBytes(new File(System.getProperty("pot4j.model", "examples/fashion-mnist/models/cnn_relu.onnx")).toPath());
        long t0 = System.nanoTime();
        Object session = backend.getClass().getMethod("open", byte[].class, optionsClass).invoke(backend, model, options);
        System.out.printf("session opened in %.0f ms (first open loads the natives)%n", (System.nanoTime() - t0) / 1e6);
        Object input = tensorClass.getMethod("ofFloats", long[].class, float[].class).invoke(null, new long[] {2, 1, 28, 28}, new float[2 * 784]);
        Method run = session.getClass().getMethod("run", Map.class, Collection.class);
        run.setAccessible(true);
        Map<?, ?> out = (Map<?, ?>) run.invoke(session, Map.of("input", input), List.of());
        System.out.println("outputs: " + out);
        // open(Graph) with an extra output: exercises org.pot4j.model (protobuf) inside OSGi too
        Bundle modelBundle = Arrays.stream(context.getBundles()).filter(b -> "org.pot4j.model".equals(b.getSymbolicName())).findFirst().orElse(null);
        if (modelBundle != null) {
            Class<?> graphClass = api.loadClass("org.pot4j.api.graph.Graph");
            Object graph = modelBundle.loadClass("org.pot4j.model.OnnxCodec").getMethod("read", byte[].class).invoke(null, model);
            List<?> nodes = (List<?>) graphClass.getMethod("nodes").invoke(graph);
            String firstRelu = null;
            for (Object node : nodes) {
                if ("Relu".equals(node.getClass().getMethod("opType").invoke(node))) {
                    firstRelu = ((List<?>) node.getClass().getMethod("outputs").invoke(node)).get(0).toString();
                    break;
                }
            }
            Object extra = optionsClass.getMethod("withExtraOutputs", Set.class).invoke(options, Set.of(firstRelu));
            Object graphSession = backend.getClass().getMethod("open", graphClass, optionsClass).invoke(backend, graph, extra);
            Method runGraph = graphSession.getClass().getMethod("run", Map.class, Collection.class);
            runGraph.setAccessible(true);
            System.out.println("open(Graph) with extra output " + firstRelu + ": " + runGraph.invoke(graphSession, Map.of("input", input), List.of()));
        }
        Method close = session.getClass().getMethod("close"); close.setAccessible(true); close.invoke(session);
        felix.stop(); felix.waitForStop(5000);
        System.out.println("OSGI CHECK OK");
    }
}
