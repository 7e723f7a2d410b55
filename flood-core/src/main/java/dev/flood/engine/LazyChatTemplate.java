package dev.flood.engine;

import dev.flood.api.FloodException;
import dev.flood.chat.ChatTemplate;
import java.nio.file.Path;

/**
 * The model folder's chat template, read the first time a request asks for chat, so that a model whose template
 * is missing or malformed still serves plain prompts; every chat request then gets the same error. Thread-safe.
 */
final class LazyChatTemplate implements AutoCloseable {

    private final Path modelDir;
    private boolean loaded;          // guarded by this
    private ChatTemplate template;   // guarded by this; null when the folder has none
    private String failure;          // guarded by this; why the template could not be read

    LazyChatTemplate(Path modelDir) {
        this.modelDir = modelDir;
    }

    /** The template, or a {@link FloodException} saying why there is none. */
    synchronized ChatTemplate require() {
        if (!loaded) {
            loaded = true;
            try {
                template = ChatTemplate.load(modelDir).orElse(null);
            } catch (FloodException e) {
                failure = e.getMessage();
            }
        }
        if (failure != null) {
            throw new FloodException(failure);
        }
        if (template == null) {
            throw new FloodException("this model has no chat template: " + modelDir + " has no chat_template.jinja and"
                    + " its tokenizer_config.json no chat_template; give the prompt as text");
        }
        return template;
    }

    @Override
    public synchronized void close() {
        if (template != null) {
            template.close();
        }
    }
}
