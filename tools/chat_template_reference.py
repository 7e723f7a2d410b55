# Renders the chat templates in flood-core/src/test/resources/chat/templates with Jinja2 set up exactly as Hugging
# Face transformers sets it up for apply_chat_template (transformers/utils/chat_template_utils.py,
# _compile_jinja_template: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop controls, its own
# tojson, raise_exception and strftime_now), and writes what each conversation renders to (or the error it
# raises) to reference.json beside them. Flood's ChatTemplateParityTest checks its renderer against that file.
# usage: python3 tools/chat_template_reference.py   (needs jinja2 >= 3.1)
import json, os, sys
from datetime import datetime
import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'flood-core', 'src', 'test', 'resources', 'chat')
SPECIAL = dict(bos_token='<|bos|>', eos_token='<|eos|>', pad_token='<|pad|>')
CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "  Answer in one word.  "}, {"role": "user", "content": "Name a colour."}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke about whales \U0001F40B."}],
    [{"role": "user", "content": "Line one\nline two\n"}],
    [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
     {"role": "user", "content": "<tool_response>ok</tool_response>"}],
    [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "<think>\nbecause\n</think>\n\nIt is so."},
     {"role": "user", "content": "And then?"}],
    [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
    [{"role": "tool", "content": "x"}],
    [{"role": "system", "content": "only a system message"}],
]


class AssistantTracker(Extension):
    # transformers' {% generation %} block: renders its body unchanged (it only records assistant spans).
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    env = environment()
    out = []
    names = sorted(n for n in os.listdir(os.path.join(HERE, 'templates')) if n.endswith('.jinja'))
    for name in names:
        source = open(os.path.join(HERE, 'templates', name), encoding='utf-8').read()
        template = env.from_string(source)
        cases = []
        for conversation in CONVERSATIONS:
            for add_generation_prompt in (True, False):
                case = dict(messages=conversation, add_generation_prompt=add_generation_prompt)
                try:
                    case['text'] = template.render(messages=conversation, add_generation_prompt=add_generation_prompt,
                                                   tools=None, documents=None, **SPECIAL)
                except jinja2.exceptions.TemplateError as e:
                    case['error'] = str(e)
                cases.append(case)
        out.append(dict(template=name, cases=cases))
    with open(os.path.join(HERE, 'reference.json'), 'w', encoding='utf-8') as f:
        json.dump(dict(jinja2=jinja2.__version__, special_tokens=SPECIAL, templates=out), f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', sum(len(t['cases']) for t in out), 'cases of', len(out), 'templates', file=sys.stderr)


if __name__ == '__main__':
    main()
