package dev.flood.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.objects.collections.PyList;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstProperty;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ExpressionFactory;

/**
 * Three places where Jinjava's expression parser reads Jinja differently from Python's Jinja, fixed in a parser
 * subclass that Jinjava is given through its expression factory:
 * <ul>
 *   <li>a keyword argument takes a whole expression: Jinjava parses {@code namespace(i=n - 1)} as
 *       {@code (i=n) - 1} (Qwen3's template has {@code last_query_index=messages|length - 1});
 *   <li>slices take a step: {@code messages[::-1]} ({@link Slice});
 *   <li>a parenthesized dict is not a tuple: Jinjava sees the dict's commas and makes {@code ({'a': 1, 'b': 2})}
 *       a one-item list.
 * </ul>
 * The parser assumes natural operator precedence ({@code LegacyOverrides.withUseNaturalOperatorPrecedence}),
 * which {@link JinjaSandbox} always sets: with it, a value is returned before filters and tests, which the
 * precedence levels above parse.
 */
final class PythonSyntax {

    private PythonSyntax() {
    }

    /** Jinjava rendering with this syntax; expression trees are cached as in Jinjava (1000 expressions). */
    static Jinjava jinjava(JinjavaConfig config) {
        ExpressionFactory factory = new ExpressionFactoryImpl(new TreeStore(
                new SyntaxBuilder(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS), new Cache(1000)),
                new TruthyTypeConverter());
        return new Jinjava(config) {
            @Override
            public ExpressionFactory getExpressionFactory() {
                return factory;
            }
        };
    }

    private static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        SyntaxBuilder(Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new PythonParser(this, expression);
        }
    }

    private static final class PythonParser extends ExtendedParser {

        PythonParser(Builder context, String input) {
            super(context, input);
        }

        @Override
        protected AstNode add(boolean required) throws Scanner.ScanException, ParseException {
            AstNode v = mul(required);
            if (v == null) {
                return null;
            }
            while (true) {
                Scanner.Token token = getToken();
                if (token.getSymbol() == Scanner.Symbol.PLUS) {
                    consumeToken();
                    v = createAstBinary(v, mul(true), AdditionOperator.OP);
                } else if (token.getSymbol() == Scanner.Symbol.MINUS) {
                    consumeToken();
                    v = createAstBinary(v, mul(true), AstBinary.SUB);
                } else if (token.getSymbol() == Scanner.Symbol.EXTENSION
                        && getExtensionHandler(token).getExtensionPoint() == ExtensionPoint.ADD) {
                    boolean keyword = NamedParameterOperator.TOKEN.getImage().equals(token.getImage());
                    ExtensionHandler handler = getExtensionHandler(consumeToken());
                    v = handler.createAstNode(v, keyword ? expr(true) : mul(true));
                } else {
                    return v;
                }
            }
        }

        @Override
        protected AstNode nonliteral() throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() != Scanner.Symbol.LPAREN) {
                return super.nonliteral();
            }
            // A comma directly inside these parentheses (not inside a nested (), [] or {}) makes a tuple.
            int depth = 0;
            for (int i = 0; ; i++) {
                Scanner.Token t = lookahead(i);
                Scanner.Symbol s = t.getSymbol();
                if (s == Scanner.Symbol.EOF || (depth == 0 && s == Scanner.Symbol.RPAREN)) {
                    break;
                }
                if (s == Scanner.Symbol.LPAREN || s == Scanner.Symbol.LBRACK || "{".equals(t.getImage())) {
                    depth++;
                } else if (s == Scanner.Symbol.RPAREN || s == Scanner.Symbol.RBRACK || "}".equals(t.getImage())) {
                    depth--;
                } else if (depth == 0 && s == Scanner.Symbol.COMMA) {
                    return createAstTuple(params());
                }
            }
            consumeToken();
            AstNode v = expr(true);
            consumeToken(Scanner.Symbol.RPAREN);
            return createAstNested(v);
        }

        @Override
        protected AstNode value() throws Scanner.ScanException, ParseException {
            boolean lvalue = true;
            AstNode v = nonliteral();
            if (v == null) {
                v = literal();
                if (v == null) {
                    return null;
                }
                lvalue = false;
            }
            boolean methods = context.isEnabled(Builder.Feature.METHOD_INVOCATIONS);
            while (true) {
                switch (getToken().getSymbol()) {
                    case DOT -> {
                        consumeToken();
                        AstProperty dot = createAstDot(v, consumeToken(Scanner.Symbol.IDENTIFIER).getImage(), lvalue);
                        v = getToken().getSymbol() == Scanner.Symbol.LPAREN && methods ? createAstMethod(dot, params()) : dot;
                    }
                    case LBRACK -> {
                        consumeToken();
                        AstNode index = expr(false);
                        if (getToken().getSymbol() == Scanner.Symbol.COLON) {
                            consumeToken();
                            AstNode stop = expr(false);
                            AstNode step = null;
                            if (getToken().getSymbol() == Scanner.Symbol.COLON) {
                                consumeToken();
                                step = expr(false);
                            }
                            consumeToken(Scanner.Symbol.RBRACK);
                            v = new Slice(v, index, stop, step);
                        } else {
                            consumeToken(Scanner.Symbol.RBRACK);
                            AstProperty bracket = createAstBracket(v, index, lvalue,
                                    !context.isEnabled(Builder.Feature.NULL_PROPERTIES));
                            v = getToken().getSymbol() == Scanner.Symbol.LPAREN && methods
                                    ? createAstMethod(bracket, params()) : bracket;
                        }
                    }
                    default -> {
                        return v;
                    }
                }
            }
        }
    }

    /** Python's {@code sequence[start:stop:step]} over a list or a string; each bound optional, negatives from the end. */
    static final class Slice extends AstRightValue {

        private final AstNode base;
        private final AstNode start;
        private final AstNode stop;
        private final AstNode step;

        Slice(AstNode base, AstNode start, AstNode stop, AstNode step) {
            this.base = base;
            this.start = start;
            this.stop = stop;
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object sequence = base.eval(bindings, context);
            if (sequence == null) {
                return null;
            }
            List<Object> items = new ArrayList<>();
            String text = sequence instanceof String s ? s : null;
            if (text != null) {
                text.codePoints().forEach(c -> items.add(new String(Character.toChars(c))));
            } else if (sequence instanceof Iterable<?> iterable) {
                iterable.forEach(items::add);
            } else if (sequence instanceof Object[] array) {
                items.addAll(List.of(array));
            } else {
                throw new ELException("cannot slice a " + sequence.getClass().getSimpleName());
            }
            int n = items.size();
            long stride = bound(step, bindings, context, 1);
            if (stride == 0) {
                throw new ELException("slice step cannot be zero");
            }
            long first = bound(start, bindings, context, stride > 0 ? 0 : n - 1);
            long last = bound(stop, bindings, context, stride > 0 ? n : -n - 1);
            first = clamp(first < 0 ? first + n : first, stride > 0 ? 0 : -1, stride > 0 ? n : n - 1);
            last = clamp(last < 0 ? last + n : last, stride > 0 ? 0 : -1, stride > 0 ? n : n - 1);
            List<Object> picked = new ArrayList<>();
            for (long i = first; stride > 0 ? i < last : i > last; i += stride) {
                picked.add(items.get((int) i));
            }
            if (text != null) {
                StringBuilder out = new StringBuilder();
                picked.forEach(out::append);
                return out.toString();
            }
            return new PyList(picked);
        }

        private static long bound(AstNode node, Bindings bindings, ELContext context, long absent) {
            Object value = node == null ? null : node.eval(bindings, context);
            if (value == null) {
                return absent;
            }
            if (!(value instanceof Number number)) {
                throw new ELException("slice bounds must be integers, got " + value);
            }
            return number.longValue();
        }

        private static long clamp(long value, long low, long high) {
            return Math.max(low, Math.min(high, value));
        }

        @Override
        public void appendStructure(StringBuilder b, Bindings bindings) {
            base.appendStructure(b, bindings);
            b.append('[');
            Iterator<AstNode> parts = java.util.Arrays.asList(start, stop, step).iterator();
            while (parts.hasNext()) {
                AstNode part = parts.next();
                if (part != null) {
                    part.appendStructure(b, bindings);
                }
                if (parts.hasNext()) {
                    b.append(':');
                }
            }
            b.append(']');
        }

        @Override
        public String toString() {
            return "[:]";
        }

        @Override
        public int getCardinality() {
            return 4;
        }

        @Override
        public AstNode getChild(int i) {
            return switch (i) {
                case 0 -> base;
                case 1 -> start;
                case 2 -> stop;
                case 3 -> step;
                default -> null;
            };
        }
    }
}
