export { type ConsoleResult, type ExtraCommand, type RunConsoleOptions, runConsole } from './console.ts';
export { type ConsoleChatPort, createConsoleChatPort } from './console-chat-port.ts';
export { renderMessage, renderMrkdwn, shouldColor } from './render-text.ts';
