// ESLint over the whole tree: typescript-eslint's recommended rules, type-aware for TypeScript (one
// program, the root tsconfig.json), and @pulumi/eslint-plugin's, which catch an Output in a
// template literal (it would render as a warning text, not the value).
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "**/node_modules/",
            "bin/",
            ".build/",
            "plan/",
            // The policy pack's bundle, built from policies/ by policies/build.js.
            "policies/bin/",
            // Compiled and type-checked by the consumer test, in a project where gpu-karpenter is installed.
            "tests/consumer/",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        extends: [...tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // require() is how heavy modules (ajv, @pulumi/eks, SDK internals) load only when used.
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_" }],
        },
    },
    {
        // The offline cloud and the tests read what has no types on purpose: the SDK's internal
        // requests, parsed JSON and YAML.
        files: ["offline/**/*.ts", "tests/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/restrict-template-expressions": "off",
        },
    },
    {
        // chai: expect(x).to.be.empty
        files: ["tests/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off" },
    },
    {
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
