// llama.cpp's chat layer (common/chat.cpp) as llama_native._native.ChatTemplates
// and ChatParser: rendering a conversation with a template's own tool and
// reasoning syntax, the grammar and triggers that constrain a reply in that
// syntax, and the parser that reads the reply back.
//
// Why llama.cpp's and not ours: llama-server uses exactly this code, so a
// template's prompt, grammar and parsed calls are the ones llama-server gives
// for the same request; the layer derives the syntax of the 60-odd template
// families itself (its differential auto-parser plus hand-written parsers for
// the irregular ones), which no port could keep up with.  Its Jinja
// interpreter (common/jinja) is C++ with no access to Python objects, files or
// the network: a template can only produce text (the CVE-2024-34359 payloads
// have nothing to reach).
//
// The boundary is JSON text both ways, so this file only converts.
#include "chat_layer.h"

#include "chat-peg-parser.h"
#include "chat.h"
#include "json-schema-to-grammar.h"
#include "log.h"
#include "model.h"

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <type_traits>
#include <stdexcept>
#include <variant>

namespace nb = nanobind;
using namespace nb::literals;

namespace llama_native {
namespace {

// common's logger prints from a thread of its own; the chat layer's warnings
// reach Python as exceptions instead, so it stays paused.
void silence_common_log() {
    static std::once_flag once;
    std::call_once(once, [] { common_log_pause(common_log_main()); });
}

const char *trigger_type_name(common_grammar_trigger_type type) {
    switch (type) {
        case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: return "token";
        case COMMON_GRAMMAR_TRIGGER_TYPE_WORD: return "word";
        case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN: return "pattern";
        case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: return "pattern_full";
    }
    return "unknown";
}

common_chat_tool_choice tool_choice_from(const std::string &choice) {
    if (choice == "auto") return COMMON_CHAT_TOOL_CHOICE_AUTO;
    if (choice == "required") return COMMON_CHAT_TOOL_CHOICE_REQUIRED;
    if (choice == "none") return COMMON_CHAT_TOOL_CHOICE_NONE;
    throw std::invalid_argument("tool_choice must be 'auto', 'required' or 'none', got '" + choice + "'");
}

template <typename T, typename = void> struct has_child : std::false_type {};
template <typename T> struct has_child<T, std::void_t<decltype(std::declval<T>().child)>> : std::true_type {};

// The parser's children (a ref's rule included), for walking the arena.
std::vector<common_peg_parser_id> children_of(const common_peg_arena &arena, common_peg_parser_id id) {
    return std::visit(
        [&](const auto &node) -> std::vector<common_peg_parser_id> {
            using T = std::decay_t<decltype(node)>;
            if constexpr (std::is_same_v<T, common_peg_sequence_parser> || std::is_same_v<T, common_peg_choice_parser>)
                return node.children;
            else if constexpr (std::is_same_v<T, common_peg_ref_parser>)
                return {arena.get_rule(node.name)};
            else if constexpr (has_child<T>::value)
                return {node.child};
            else
                return {};
        },
        arena.get(id));
}

bool holds_tool_call(const common_peg_arena &arena, common_peg_parser_id id, std::vector<int> &memo) {
    if (memo[id] >= 0) return memo[id] == 1;
    memo[id] = 0;  // cycles (recursive rules) count as "no" until shown otherwise
    const auto *tag = std::get_if<common_peg_tag_parser>(&arena.get(id));
    bool found = tag && tag->tag == common_chat_peg_builder::TOOL;
    for (auto child : children_of(arena, id)) found = found || holds_tool_call(arena, child, memo);
    memo[id] = found ? 1 : 0;
    return found;
}

// Take the parts tagged `tags` out of the arena, each with the nearest
// optional around it (`, "id": "..."` goes whole): sequences lose the removed
// parts; a tagged part anywhere else matches nothing.
void drop_tagged(common_peg_arena &arena, const std::vector<std::string> &tags) {
    const size_t n = arena.size();
    std::vector<bool> tagged(n, false), tainted(n, false), removed(n, false);
    for (size_t id = 0; id < n; id++) {
        const auto *tag = std::get_if<common_peg_tag_parser>(&arena.get(id));
        tagged[id] = tainted[id] = tag && std::find(tags.begin(), tags.end(), tag->tag) != tags.end();
    }
    // tainted: holds a tagged part not yet inside a removed optional; an optional over one is removed
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t id = 0; id < n; id++) {
            const auto *rep = std::get_if<common_peg_repetition_parser>(&arena.get(id));
            if (rep && rep->min_count == 0) {
                if (!removed[id] && tainted[rep->child]) changed = removed[id] = true;
                continue;
            }
            if (tainted[id]) continue;
            for (auto child : children_of(arena, id))
                if (tainted[child] && !removed[child]) {
                    changed = tainted[id] = true;
                    break;
                }
        }
    }
    for (size_t id = 0; id < n; id++) {
        if (auto *seq = std::get_if<common_peg_sequence_parser>(&arena.get(id))) {
            auto &c = seq->children;
            c.erase(std::remove_if(c.begin(), c.end(),
                                   [&](common_peg_parser_id child) { return removed[child] || tagged[child]; }),
                    c.end());
        }
    }
    for (size_t id = 0; id < n; id++)
        if (removed[id] || tagged[id]) arena.get(id) = common_peg_literal_parser{""};
}

// Whether `to` is reachable from `from` through the arena (refs followed).
bool reaches(const common_peg_arena &arena, common_peg_parser_id from, common_peg_parser_id to) {
    std::vector<bool> seen(arena.size(), false);
    std::vector<common_peg_parser_id> stack = {from};
    while (!stack.empty()) {
        auto id = stack.back();
        stack.pop_back();
        if (id == to) return true;
        if (seen[id]) continue;
        seen[id] = true;
        for (auto child : children_of(arena, id)) stack.push_back(child);
    }
    return false;
}

// Cap the calls of a reply at `max_calls`: the repetition of calls allows that
// many; one nested in it (several calls inside one wrapper, Hermes' `a, b`)
// allows no extra ones, so the product stays within the cap.
void cap_calls(common_peg_arena &arena, int max_calls, std::vector<int> &memo) {
    std::vector<common_peg_parser_id> reps;
    for (size_t id = 0; id < arena.size(); id++) {
        auto *rep = std::get_if<common_peg_repetition_parser>(&arena.get(id));
        if (rep && rep->max_count < 0 && holds_tool_call(arena, rep->child, memo)) reps.push_back(id);
    }
    for (auto id : reps) {
        auto &rep = std::get<common_peg_repetition_parser>(arena.get(id));
        bool nested = false;
        for (auto other : reps) nested = nested || (other != id && reaches(arena, std::get<common_peg_repetition_parser>(arena.get(other)).child, id));
        // `call (sep call)*` repeats the rest after a first call; `(call)+` all of them
        const int cap = nested ? rep.min_count : (rep.min_count == 0 ? max_calls - 1 : max_calls);
        rep.max_count = std::max(rep.min_count, cap);
    }
}

// The grammar of a saved reply parser, narrowed.  A saved parser has lost
// its JSON schemas (arguments become any JSON), so the Python side keeps
// llama.cpp's own grammar and takes only the rules narrowing changed
// (template_layer.py: narrowed_grammar):
// - `calls_only`: its content parts taken out, so that under a forced tool
//   choice the reply is (the template's reasoning, then) the calls with no
//   text first; llama.cpp's own grammar lets a model write text and call
//   later, which a small model may never get to;
// - `max_calls` > 0: the repetitions of calls allow that many at most;
//   forced calls also lose optional call ids.
std::string narrowed_grammar(const std::string &saved_parser, bool calls_only, bool drop_ids, int max_calls, bool lazy) {
    common_peg_arena arena;
    arena.load(saved_parser);
    std::vector<int> memo(arena.size(), -1);
    // forced calls: no text before them, and no optional call ids (the client numbers calls; Mistral's
    // ids are raw text a small model may never end)
    std::vector<std::string> tags;
    if (calls_only) tags.push_back(common_chat_peg_builder::CONTENT);
    if (drop_ids) tags.push_back(common_chat_peg_builder::TOOL_ID);
    if (!tags.empty()) drop_tagged(arena, tags);
    if (max_calls > 0) cap_calls(arena, max_calls, memo);
    return build_grammar([&](const common_grammar_builder &builder) { arena.build_grammar(builder, lazy); });
}

class ChatTemplates {
  public:
    // `model` (optional) supplies BOS/EOS and whether the tokenizer adds BOS,
    // as llama-server's init does; `bos`/`eos` are used without one.
    ChatTemplates(const Model *model, const std::string &source, const std::string &bos, const std::string &eos) {
        silence_common_log();
        if (source.empty()) throw std::invalid_argument("the chat template is empty");
        try {
            templates_ = common_chat_templates_init(model ? model->get() : nullptr, source, bos, eos);
        } catch (const std::exception &e) {
            throw std::invalid_argument(std::string("the chat template does not parse: ") + e.what());
        }
    }

    // `request`: {"messages", "tools", "tool_choice", "parallel_tool_calls",
    // "json_schema", "grammar", "add_generation_prompt", "enable_thinking",
    // "reasoning_format", "chat_template_kwargs": {name: value}} as JSON.
    std::string apply(const std::string &request_text) const {
        common_chat_params params;
        try {
            const common_json request = common_json::parse(request_text);
            common_chat_templates_inputs inputs;
            inputs.messages = common_chat_msgs_parse_oaicompat(request.at("messages"));
            if (request.contains("tools") && !request.at("tools").is_null())
                inputs.tools = common_chat_tools_parse_oaicompat(request.at("tools"));
            inputs.tool_choice = tool_choice_from(request.value("tool_choice", std::string("auto")));
            inputs.parallel_tool_calls = request.value("parallel_tool_calls", false);
            if (request.contains("json_schema") && !request.at("json_schema").is_null())
                inputs.json_schema = request.at("json_schema").dump();
            inputs.grammar = request.value("grammar", std::string());
            inputs.add_generation_prompt = request.value("add_generation_prompt", true);
            inputs.enable_thinking = request.value("enable_thinking", true);
            inputs.reasoning_format =
                common_reasoning_format_from_name(request.value("reasoning_format", std::string("auto")));
            if (request.contains("chat_template_kwargs")) {
                for (const auto &[name, value] : request.at("chat_template_kwargs").items())
                    inputs.chat_template_kwargs[name] = value.dump();
            }
            params = common_chat_templates_apply(templates_.get(), inputs);
        } catch (const std::exception &e) {
            throw std::invalid_argument(e.what());
        }
        common_json out = common_json::object();
        out["format"] = std::string(common_chat_format_name(params.format));
        out["format_id"] = (int)params.format;
        out["prompt"] = params.prompt;
        out["grammar"] = params.grammar;
        out["grammar_lazy"] = params.grammar_lazy;
        out["generation_prompt"] = params.generation_prompt;
        out["supports_thinking"] = params.supports_thinking;
        out["thinking_start_tag"] = params.thinking_start_tag;
        common_json ends = common_json::array();
        for (const auto &tag : params.thinking_end_tags) ends.push_back(tag);
        out["thinking_end_tags"] = ends;
        common_json triggers = common_json::array();
        for (const auto &trigger : params.grammar_triggers) {
            common_json t = common_json::object();
            t["type"] = std::string(trigger_type_name(trigger.type));
            t["value"] = trigger.value;
            triggers.push_back(t);
        }
        out["grammar_triggers"] = triggers;
        common_json preserved = common_json::array();
        for (const auto &token : params.preserved_tokens) preserved.push_back(token);
        out["preserved_tokens"] = preserved;
        common_json stops = common_json::array();
        for (const auto &stop : params.additional_stops) stops.push_back(stop);
        out["additional_stops"] = stops;
        out["parser"] = params.parser;
        return out.dump();
    }

    // llama-server's /props chat_template_caps: what the template supports, found by rendering probes.
    std::map<std::string, bool> caps() const { return common_chat_templates_get_caps(templates_.get()); }

  private:
    common_chat_templates_ptr templates_;
};

class ChatParser {
  public:
    // `format_id`, `parser` and `generation_prompt` come from one apply();
    // `reasoning_format` "none" leaves thinking in the content.
    ChatParser(int format_id, const std::string &parser, const std::string &generation_prompt,
               const std::string &reasoning_format, bool parse_tool_calls) {
        silence_common_log();
        if (format_id < 0 || format_id >= COMMON_CHAT_FORMAT_COUNT)
            throw std::invalid_argument("unknown chat format id " + std::to_string(format_id));
        params_.format = (common_chat_format)format_id;
        params_.generation_prompt = generation_prompt;
        params_.reasoning_format = common_reasoning_format_from_name(reasoning_format);
        params_.parse_tool_calls = parse_tool_calls;
        if (!parser.empty()) {
            try {
                params_.parser.load(parser);
            } catch (const std::exception &e) {
                throw std::invalid_argument(std::string("the chat parser does not load: ") + e.what());
            }
        }
    }

    // The assistant message (OpenAI shape, arguments as JSON text) read from
    // `text`; `partial` reads a reply still being generated.  A finished text
    // the parser cannot read raises ValueError.
    std::string parse(const std::string &text, bool partial) const {
        try {
            common_chat_msg msg = common_chat_parse(text, partial, params_);
            return msg.to_json_oaicompat().dump();
        } catch (const std::exception &e) {
            throw std::invalid_argument(e.what());
        }
    }

  private:
    common_chat_parser_params params_;
};

}  // namespace

void register_chat_layer(nb::module_ &m) {
    m.def(
        "narrowed_chat_grammar",
        [](const std::string &parser, bool calls_only, bool drop_ids, int max_calls, bool lazy) {
            try {
                return narrowed_grammar(parser, calls_only, drop_ids, max_calls, lazy);
            } catch (const std::exception &e) {
                throw std::invalid_argument(e.what());
            }
        },
        "parser"_a, "calls_only"_a, "drop_ids"_a, "max_calls"_a, "lazy"_a, nb::call_guard<nb::gil_scoped_release>(),
        "The GBNF grammar of a saved reply parser, narrowed: `calls_only` drops its text parts, `drop_ids` its "
        "optional call ids, `max_calls` > 0 caps the calls, `lazy` writes it as a lazy grammar. ValueError when the parser does not load.");
    nb::class_<ChatTemplates>(m, "ChatTemplates",
                              "A model's chat templates in llama.cpp's chat layer (as llama-server renders them).")
        .def(nb::init<const Model *, const std::string &, const std::string &, const std::string &>(), "model"_a.none(),
             "source"_a, "bos"_a = "", "eos"_a = "",
             "Parse the Jinja template `source`; `model` (optional) supplies BOS/EOS, else `bos`/`eos`. "
             "ValueError when it is empty or does not parse.")
        .def("apply", &ChatTemplates::apply, "request"_a, nb::call_guard<nb::gil_scoped_release>(),
             "Render a request (JSON: messages, tools, tool_choice, ...): JSON with the prompt, the grammar and its "
             "triggers, the reply parser, stops. ValueError for a request the layer refuses.")
        .def("caps", &ChatTemplates::caps, nb::call_guard<nb::gil_scoped_release>(),
             "What the template supports (supports_tools, supports_system_role, ...), as llama-server's /props "
             "chat_template_caps.");
    nb::class_<ChatParser>(m, "ChatParser", "Reads a reply back in a chat format's syntax (llama.cpp's chat parser).")
        .def(nb::init<int, const std::string &, const std::string &, const std::string &, bool>(), "format_id"_a,
             "parser"_a, "generation_prompt"_a, "reasoning_format"_a = "auto", "parse_tool_calls"_a = true,
             "A parser for one ChatTemplates.apply() result (`format_id`, `parser`, `generation_prompt`); "
             "`reasoning_format` 'none' leaves thinking in the content. ValueError for an unknown format or parser.")
        .def("parse", &ChatParser::parse, "text"_a, "partial"_a = false, nb::call_guard<nb::gil_scoped_release>(),
             "The assistant message (OpenAI shape, JSON) read from `text`; `partial`: a reply still being generated. "
             "ValueError when a finished text does not parse.");
}

}  // namespace llama_native
