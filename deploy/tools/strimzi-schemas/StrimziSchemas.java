import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.CustomDefinition;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes strict JSON Schemas of the Strimzi custom resources the hub's manifests use
 * (kafka.strimzi.io/v1beta2: Kafka, KafkaNodePool, KafkaTopic, KafkaUser) for kubeconform, as
 * {@code <out>/<kind>_v1beta2.json}.
 *
 * <p>Why generated: Strimzi publishes its CRDs with its releases, not to a package registry this
 * project installs from; its API model (io.strimzi:api, Maven Central) is, and it is what Strimzi's
 * own generator makes the CRDs from and what its operators read a custom resource into. The schema
 * follows the model as Jackson sees it: property names, types, enums and the {@code type}
 * discriminator of each polymorphic field (listener authentication, storage, ACL resources).
 * Strict: an object accepts no property its class lacks (a misspelt field is an error), except
 * maps, which take any key. Constraints Strimzi states only in its own annotations (minimum
 * values, patterns) are not in it.
 *
 * <p>Usage: {@code java -cp <classpath> StrimziSchemas.java <out>} (run by deploy/tools/kubeconform.sh).
 */
public class StrimziSchemas {
    private static final String API_VERSION = "kafka.strimzi.io/v1beta2";
    private static final String[] KINDS = {
        "io.strimzi.api.kafka.model.kafka.Kafka",
        "io.strimzi.api.kafka.model.nodepool.KafkaNodePool",
        "io.strimzi.api.kafka.model.topic.KafkaTopic",
        "io.strimzi.api.kafka.model.user.KafkaUser",
    };

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        var builder = new SchemaGeneratorConfigBuilder(SchemaVersion.DRAFT_2020_12, OptionPreset.PLAIN_JSON)
            .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_REQUIRED, JacksonOption.FLATTENED_ENUMS_FROM_JSONVALUE))
            .with(Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT, Option.MAP_VALUES_AS_ADDITIONAL_PROPERTIES,
                  // Properties Strimzi declares by a getter alone, such as each subtype's `type`.
                  Option.FIELDS_DERIVED_FROM_ARGUMENTFREE_METHODS);
        // The preset writes "$schema" (draft 2020-12): kubeconform reads a schema without one as
        // draft 4, which knows no `const`, and would then take any `type` of a polymorphic field.
        // `additionalProperties` is where the model keeps unknown fields; it is no field of its own.
        builder.forFields().withIgnoreCheck(f -> f.getName().equals("additionalProperties"));
        builder.forMethods().withIgnoreCheck(m -> !m.getName().startsWith("get") && !m.getName().startsWith("is"));
        builder.forTypesInGeneral().withCustomDefinitionProvider((type, context) -> {
            ObjectNode node = context.getGeneratorConfig().createObjectNode();
            switch (type.getErasedType().getName()) {
                // Kubernetes validates metadata itself; a custom resource's schema says only "object".
                case "io.fabric8.kubernetes.api.model.ObjectMeta" -> node.put("type", "object");
                // Serialized as a plain value ("512Mi", 2), not as the Java object's fields.
                case "io.fabric8.kubernetes.api.model.Quantity", "io.fabric8.kubernetes.api.model.IntOrString" ->
                    node.putArray("type").add("string").add("integer").add("number");
                default -> { return null; }
            }
            return new CustomDefinition(node, CustomDefinition.DefinitionType.INLINE, CustomDefinition.AttributeInclusion.NO);
        });
        var generator = new SchemaGenerator(builder.build());
        var mapper = new ObjectMapper();
        Files.createDirectories(out);
        for (String name : KINDS) {
            Class<?> kind = Class.forName(name);
            ObjectNode schema = generator.generateSchema(kind);
            ObjectNode properties = (ObjectNode) schema.get("properties");
            properties.putObject("apiVersion").putArray("enum").add(API_VERSION);
            properties.putObject("kind").putArray("enum").add(kind.getSimpleName());
            schema.putArray("required").add("apiVersion").add("kind").add("metadata");
            String file = kind.getSimpleName().toLowerCase() + "_v1beta2.json";
            mapper.writerWithDefaultPrettyPrinter().writeValue(out.resolve(file).toFile(), schema);
        }
    }
}
