package org.pot4j.model;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.tensor.DataType;
import org.pot4j.model.internal.ExternalData;
import org.pot4j.model.internal.ModelFormatException;
import org.pot4j.model.internal.ProtoCodec;
import org.pot4j.model.internal.TensorCodec;

/**
 * Reads ONNX models into the graph IR and writes the IR back as ONNX bytes.
 *
 * <p>A round trip keeps the model's meaning: nodes and every attribute type (tensors, subgraphs),
 * initializers of all numeric types (written back as raw_data), inputs/outputs/value_info with
 * symbolic dimensions, opset imports, metadata_props, ir_version, producer and doc strings. Model
 * fields the IR has no place for (model domain, model_version, the graph's own doc string) travel in
 * metadata keys starting with {@value #RESERVED_METADATA_PREFIX}, and are restored by {@link #write}.
 * Graph inputs that are also initializers (old exporters) are kept in {@link Graph#valueInfos()} and
 * written back as inputs. Model-local functions are inlined on read (their ops become graph nodes), values whose type
 * is present but empty are read as untyped. Tensors in side files (external data) are read from the model's folder
 * when the model is read from its file, and {@link #write(Graph, Path)} writes such a model with a side file again. Writing is deterministic: the same graph gives the same bytes.
 *
 * <p>Errors: a missing or unreadable file is an {@link InvalidInputException} naming the path; bytes
 * that are not a model this codec supports (corrupt, external data given as bytes rather than a file, sparse
 * initializers, sequence / map / optional values) are a {@link Pot4jException} with code {@value #ERROR_CODE} that
 * names the source and what is wrong.
 */
public final class OnnxCodec {
    /** Error code of models that cannot be read. */
    public static final String ERROR_CODE = "MODEL_ERROR";
    /** Metadata keys with this prefix are the codec's own (see the class comment). */
    public static final String RESERVED_METADATA_PREFIX = ProtoCodec.RESERVED_PREFIX;

    private static final int MAX_MESSAGE_BYTES = Integer.MAX_VALUE;

    private OnnxCodec() {
    }

    /** Reads a .onnx file. */
    public static Graph read(Path file) {
        ByteBuffer bytes;
        try {
            if (Files.isDirectory(file)) {
                // checked first: reading a directory fails with messages that do not say so
                throw new InvalidInputException("model", file, "is a directory, not a file: give an .onnx file");
            }
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                // a named pipe would block the read below until something writes into it
                throw new InvalidInputException("model", file, "is not a regular file (a named pipe, device or socket):"
                        + " give an .onnx file");
            }
            long size = Files.size(file);
            if (size >= Integer.MAX_VALUE - 8) {
                throw new Pot4jException(ERROR_CODE, file + ": model is " + size
                        + " bytes; a model file of 2 GB or more is not supported: save its weights as external data");
            }
            // mapped, not read into the heap: the weights' raw data is parsed as views of the mapping and copied once,
            // into the tensors (a byte[] of the file grew the heap to twice the model during the load, and the serial
            // collector kept that heap committed through the statistics pass)
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            }
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("model", file, "the model file does not exist");
        } catch (IOException e) {
            throw new InvalidInputException("model", file, "the model file cannot be read: " + e.getMessage(), e);
        }
        return readWithExternalData(bytes, file);
    }

    /** Reads ONNX model bytes. */
    public static Graph read(byte[] bytes) {
        return read(bytes, "model bytes");
    }

    /** Reads ONNX model bytes; {@code source} (e.g. a file name) names them in error messages. */
    public static Graph read(byte[] bytes, String source) {
        return toGraph(parse(bytes, source), source);
    }

    private static Graph toGraph(ModelProto model, String source) {
        try {
            return ProtoCodec.readModel(model);
        } catch (ModelFormatException e) {
            throw new Pot4jException(ERROR_CODE, source + ": " + e.getMessage());
        }
    }

    /**
     * Reads a model file whose tensors may lie in side files (external data) in its folder: the main graph's
     * initializers are read from their file straight into their tensors (the weights are held once, and a model's
     * side files may hold more than the 2 GB one protobuf message can).
     */
    private static Graph readWithExternalData(ByteBuffer bytes, Path file) {
        String source = file.toString();
        ModelProto model = parse(bytes, source);
        Map<String, Long> files = new LinkedHashMap<>();
        Path folder = file.toAbsolutePath().getParent();
        Graph graph;
        try {
            model = ExternalData.loadAllButInitializers(model, folder, files);
            graph = ProtoCodec.readModel(model, (tensor, where) -> ExternalData.readInitializer(tensor, where, folder,
                    files));
        } catch (ModelFormatException e) {
            throw new Pot4jException(ERROR_CODE, source + ": " + e.getMessage());
        }
        if (!files.isEmpty()) {
            graph.metadata().put(ProtoCodec.EXTERNAL_DATA, String.join(",", files.keySet()));
        }
        return graph;
    }

    private static ModelProto parse(byte[] bytes, String source) {
        if (bytes == null || bytes.length == 0) {
            throw new Pot4jException(ERROR_CODE, source + ": empty model (0 bytes)");
        }
        return parse(CodedInputStream.newInstance(bytes), source);
    }

    private static ModelProto parse(ByteBuffer bytes, String source) {
        if (!bytes.hasRemaining()) {
            throw new Pot4jException(ERROR_CODE, source + ": empty model (0 bytes)");
        }
        return parse(CodedInputStream.newInstance(bytes), source);
    }

    private static ModelProto parse(CodedInputStream input, String source) {
        try {
            // the weights' raw data stays a view of the file's bytes until the graph copies it into its tensors
            input.enableAliasing(true);
            input.setSizeLimit(MAX_MESSAGE_BYTES);
            input.setRecursionLimit(1000);
            return ModelProto.parseFrom(input);
        } catch (InvalidProtocolBufferException e) {
            throw new Pot4jException(ERROR_CODE, source + ": not a valid ONNX model (the file is corrupt or not ONNX: "
                    + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            throw new Pot4jException(ERROR_CODE, source + ": not a valid ONNX model (" + e + ")");
        }
    }

    /** Whether the graph was read from a model with external data (its file writes keep a side file). */
    public static boolean hasExternalData(Graph graph) {
        return graph.metadata().containsKey(ProtoCodec.EXTERNAL_DATA);
    }

    /** Writes the graph as ONNX model bytes. */
    public static byte[] write(Graph graph) {
        return ProtoCodec.writeModel(graph).toByteArray();
    }

    /**
     * Writes the graph to a file atomically (see {@link AtomicFiles}). A graph read with external data is written the
     * same way: initializers of {@value ExternalData#THRESHOLD_BYTES} bytes or more go to {@code <file name>.data} next
     * to it (written first, so the model never points to a missing file).
     */
    public static void write(Graph graph, Path file) throws IOException {
        write(graph, file, hasExternalData(graph));
    }

    /**
     * Writes the graph to a file atomically; {@code externalData}: with its initializers of
     * {@value ExternalData#THRESHOLD_BYTES} bytes or more in {@code <file name>.data} next to it (written first,
     * straight from the tensors: no copy of the weights is made, and the weights may exceed 2 GB).
     */
    public static void write(Graph graph, Path file, boolean externalData) throws IOException {
        if (!externalData) {
            AtomicFiles.write(file, write(graph));
            return;
        }
        String location = file.getFileName() + ".data";
        ModelProto[] model = new ModelProto[1];
        AtomicFiles.write(file.resolveSibling(location), data -> {
            try {
                model[0] = ProtoCodec.writeModel(graph, ExternalData.storingInitializers(data, location));
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        });
        AtomicFiles.write(file, model[0].toByteArray());
    }

    /**
     * SHA-256 (hex) of the graph's content, as a key of what depends on the model: the same for graphs that
     * {@link #write(Graph)} writes to the same bytes, computed without writing them (each weight is hashed a
     * megabyte at a time, so a model's size costs no memory here).
     */
    public static String digest(Graph graph) {
        MessageDigest digest = sha256();
        try (WritableByteChannel weights = Channels.newChannel(new DigestOutputStream(OutputStream.nullOutputStream(),
                digest))) {
            ModelProto references = ProtoCodec.writeModel(graph, (tensor, name) -> {
                if (tensor.type() == DataType.STRING) {
                    return TensorCodec.write(tensor, name);
                }
                digest.update(name.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                try {
                    ExternalData.writeElements(weights, tensor);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                // the proto keeps the tensor's name, type and shape; its elements are in the digest already
                TensorProto.Builder reference = TensorProto.newBuilder().setName(name)
                        .setDataType(tensor.type().onnxCode());
                for (long dim : tensor.shape()) {
                    reference.addDims(dim);
                }
                return reference.build();
            });
            digest.update(references.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
