package org.pot4j.api.data;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.Parameters;

/**
 * Opens datasets of one format. Registered with {@value #PROPERTY} = its name ("idx", "images",
 * "npy"). The parameters are the dataset block of a job's engine section minus {@code loader}:
 * the format's own keys and {@code preprocessing}.
 */
@ConsumerType
public interface DataLoader {
    String PROPERTY = "pot4j.loader";

    List<ParameterDescriptor> parameters();

    /** Opens the dataset; bad parameters, missing or corrupt files are an InvalidInputException. */
    Dataset open(Parameters parameters);
}
